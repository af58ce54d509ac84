// The product catalogue: what each CAS ProductCode means to certdesk (CAS API reference: ProductCode values of CreateCertificateForPackageRequest).
// Data, not code: the rest of the system asks "is it DV?", "wildcard?", "how long?" here
// instead of parsing the code string. Two documented entries contradict themselves; the
// choices made for them are explained in docs/cas-compat.md, "Product codes".

import { CertError } from '../domain/errors.js';

export type ValidationLevel = 'DV' | 'OV' | 'EV';

/** The values ListUserCertificateOrder reports in `CertType` (CAS API reference, user certificate actions). */
export type CertType = 'DV' | 'OV' | 'EV' | 'FREE';

export interface Product {
  /** The ProductCode exactly as the SDK sends it. */
  code: string;
  /** Human product name (ListUserCertificateOrder `ProductName`). */
  name: string;
  /** Brand in CAS API reference: ProductCode values of CreateCertificateForPackageRequest ('symantec' codes are DigiCert products). */
  brand: string;
  /** ListUserCertificateOrder `RootBrand`: the company whose root the brand chains to. */
  rootBrand: string;
  /** The vetting certdesk actually performs, and so the policy OID it asserts. */
  validation: ValidationLevel;
  certType: CertType;
  domains: 'single' | 'wildcard';
  /** Requested lifetime; computeLeafValidity (validity.ts) caps it by the BR limit in force. */
  defaultValidityDays: number;
  /** Accepted by CreateCertificateRequest / CreateCertificateWithCsrRequest (the DV list of CAS API reference, certificate order actions). */
  dvOnlyApis: boolean;
  /** OV/EV applications wait for an operator; DV ones are issued after domain validation. */
  requiresReview: boolean;
  /** CA/B Forum reserved certificatePolicies OID (BR §7.1.6.1; BR 7.1.2.7). */
  policyOid: string;
}

/** CreateCertificateForPackageRequest / DescribePackageState default (CAS API reference, certificate order actions, §5.2). */
export const DEFAULT_PRODUCT_CODE = 'digicert-free-1-free';

// BR §7.1.6.1 reserved OIDs: domain-validated and organization-validated.
const DV_POLICY_OID = '2.23.140.1.2.1';
const OV_POLICY_OID = '2.23.140.1.2.2';

// Paid products are sold as one-year certificates; the BR maximum in force (200 days from
// 2026-03-15, BR 6.3.2, ballot SC-081) is the real limit, applied at issuance by validity.ts.
const PAID_VALIDITY_DAYS = 365;

interface ProductSpec {
  code: string;
  name: string;
  brand: string;
  rootBrand: string;
  validation: 'DV' | 'OV';
  free?: boolean;
  domains: 'single' | 'wildcard';
  defaultValidityDays?: number;
  dvOnlyApis?: boolean;
}

function defineProduct(spec: ProductSpec): Product {
  return Object.freeze({
    code: spec.code,
    name: spec.name,
    brand: spec.brand,
    rootBrand: spec.rootBrand,
    validation: spec.validation,
    certType: spec.free === true ? 'FREE' : spec.validation,
    domains: spec.domains,
    defaultValidityDays: spec.defaultValidityDays ?? PAID_VALIDITY_DAYS,
    dvOnlyApis: spec.dvOnlyApis ?? false,
    requiresReview: spec.validation !== 'DV',
    policyOid: spec.validation === 'DV' ? DV_POLICY_OID : OV_POLICY_OID,
  });
}

/** The 15 ProductCodes of CAS API reference: ProductCode values of CreateCertificateForPackageRequest, in the doc's order. */
export const PRODUCTS: readonly Product[] = Object.freeze([
  // "free, 3 months; default" (CAS API reference: ProductCode values of CreateCertificateForPackageRequest).
  defineProduct({
    code: 'digicert-free-1-free',
    name: 'DigiCert DV single-domain (free)',
    brand: 'DigiCert',
    rootBrand: 'DigiCert',
    validation: 'DV',
    free: true,
    domains: 'single',
    defaultValidityDays: 90,
    dvOnlyApis: true,
  }),
  // "free, 1 year" (CAS API reference: ProductCode values of CreateCertificateForPackageRequest); capped by the BR maximum at issuance.
  defineProduct({
    code: 'symantec-free-1-free',
    name: 'DigiCert (Symantec) DV single-domain (free)',
    brand: 'DigiCert',
    rootBrand: 'DigiCert',
    validation: 'DV',
    free: true,
    domains: 'single',
    defaultValidityDays: 365,
    dvOnlyApis: true,
  }),
  // Documented as wildcard, but the code says "1": single-domain (docs/cas-compat.md).
  defineProduct({
    code: 'symantec-dv-1-starter',
    name: 'DigiCert (Symantec) DV single-domain (starter)',
    brand: 'DigiCert',
    rootBrand: 'DigiCert',
    validation: 'DV',
    domains: 'single',
    dvOnlyApis: true,
  }),
  defineProduct({
    code: 'symantec-ov-1-personal',
    name: 'DigiCert (Symantec) OV single-domain (personal)',
    brand: 'DigiCert',
    rootBrand: 'DigiCert',
    validation: 'OV',
    domains: 'single',
  }),
  defineProduct({
    code: 'symantec-ov-w-personal',
    name: 'DigiCert (Symantec) OV wildcard (personal)',
    brand: 'DigiCert',
    rootBrand: 'DigiCert',
    validation: 'OV',
    domains: 'wildcard',
  }),
  // GeoTrust is a DigiCert brand, hence RootBrand DigiCert.
  defineProduct({
    code: 'geotrust-dv-1-starter',
    name: 'GeoTrust DV single-domain (starter)',
    brand: 'GeoTrust',
    rootBrand: 'DigiCert',
    validation: 'DV',
    domains: 'single',
    dvOnlyApis: true,
  }),
  defineProduct({
    code: 'geotrust-dv-w-starter',
    name: 'GeoTrust DV wildcard (starter)',
    brand: 'GeoTrust',
    rootBrand: 'DigiCert',
    validation: 'DV',
    domains: 'wildcard',
    dvOnlyApis: true,
  }),
  defineProduct({
    code: 'geotrust-ov-1-personal',
    name: 'GeoTrust OV single-domain (personal)',
    brand: 'GeoTrust',
    rootBrand: 'DigiCert',
    validation: 'OV',
    domains: 'single',
  }),
  defineProduct({
    code: 'geotrust-ov-w-personal',
    name: 'GeoTrust OV wildcard (personal)',
    brand: 'GeoTrust',
    rootBrand: 'DigiCert',
    validation: 'OV',
    domains: 'wildcard',
  }),
  defineProduct({
    code: 'globalsign-dv-1-personal',
    name: 'GlobalSign DV single-domain (personal)',
    brand: 'GlobalSign',
    rootBrand: 'GlobalSign',
    validation: 'DV',
    domains: 'single',
    dvOnlyApis: true,
  }),
  defineProduct({
    code: 'globalsign-dv-w-advanced',
    name: 'GlobalSign DV wildcard (advanced)',
    brand: 'GlobalSign',
    rootBrand: 'GlobalSign',
    validation: 'DV',
    domains: 'wildcard',
    dvOnlyApis: true,
  }),
  defineProduct({
    code: 'globalsign-ov-1-personal',
    name: 'GlobalSign OV single-domain (personal)',
    brand: 'GlobalSign',
    rootBrand: 'GlobalSign',
    validation: 'OV',
    domains: 'single',
  }),
  defineProduct({
    code: 'globalsign-ov-w-advanced',
    name: 'GlobalSign OV wildcard (advanced)',
    brand: 'GlobalSign',
    rootBrand: 'GlobalSign',
    validation: 'OV',
    domains: 'wildcard',
  }),
  defineProduct({
    code: 'cfca-ov-1-personal',
    name: 'CFCA OV single-domain (personal)',
    brand: 'CFCA',
    rootBrand: 'CFCA',
    validation: 'OV',
    domains: 'single',
  }),
  // "ev" in the code, described as OV: vetted, reviewed and reported as OV, because certdesk
  // has no EV vetting and will not assert the EV policy OID without it (docs/cas-compat.md).
  defineProduct({
    code: 'cfca-ev-w-advanced',
    name: 'CFCA OV wildcard (advanced)',
    brand: 'CFCA',
    rootBrand: 'CFCA',
    validation: 'OV',
    domains: 'wildcard',
  }),
]);

const PRODUCTS_BY_CODE: ReadonlyMap<string, Product> = new Map(PRODUCTS.map((p) => [p.code, p]));

// Client input echoed in an error message is clipped, so a huge parameter cannot make a huge
// response, and control characters are replaced so the message stays one printable line.
const MAX_ECHO_CHARS = 64;

function clipForMessage(input: string): string {
  const printable = input.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return printable.length > MAX_ECHO_CHARS ? `${printable.slice(0, MAX_ECHO_CHARS)}...` : printable;
}

/** The product for a ProductCode, or undefined. Codes are matched exactly (case-sensitive). */
export function findProduct(code: string): Product | undefined {
  return PRODUCTS_BY_CODE.get(code);
}

/**
 * The product for a ProductCode. Unknown codes are InvalidParameter (CAS API reference: ProductCode values of CreateCertificateForPackageRequest: the
 * inference for codes outside the documented list, e.g. `geotrust-dv-w-advanced`).
 */
export function getProduct(code: string): Product {
  const product = findProduct(code);
  if (product === undefined) {
    throw new CertError('invalid_parameter', `The ProductCode "${clipForMessage(code)}" is not a known product.`);
  }
  return product;
}
