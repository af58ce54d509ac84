import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CertError } from '../domain/errors.js';
import { DEFAULT_PRODUCT_CODE, PRODUCTS, findProduct, getProduct, type Product } from './products.js';

// CAS API reference: ProductCode values of CreateCertificateForPackageRequest, in the doc's order.
const DOCUMENTED_CODES = [
  'digicert-free-1-free',
  'symantec-free-1-free',
  'symantec-dv-1-starter',
  'symantec-ov-1-personal',
  'symantec-ov-w-personal',
  'geotrust-dv-1-starter',
  'geotrust-dv-w-starter',
  'geotrust-ov-1-personal',
  'geotrust-ov-w-personal',
  'globalsign-dv-1-personal',
  'globalsign-dv-w-advanced',
  'globalsign-ov-1-personal',
  'globalsign-ov-w-advanced',
  'cfca-ov-1-personal',
  'cfca-ev-w-advanced',
];

// CAS API reference, certificate order actions, CreateCertificateRequest: "Allowed ProductCodes are the DV ones".
const DV_ONLY_API_CODES = [
  'digicert-free-1-free',
  'symantec-free-1-free',
  'symantec-dv-1-starter',
  'geotrust-dv-1-starter',
  'geotrust-dv-w-starter',
  'globalsign-dv-1-personal',
  'globalsign-dv-w-advanced',
];

const DV_OID = '2.23.140.1.2.1';
const OV_OID = '2.23.140.1.2.2';

describe('product catalogue', () => {
  test('holds exactly the 15 documented codes, in order, without duplicates', () => {
    assert.deepEqual(
      PRODUCTS.map((p) => p.code),
      DOCUMENTED_CODES,
    );
    assert.equal(new Set(PRODUCTS.map((p) => p.code)).size, 15);
  });

  test('the DV-only APIs accept exactly the DV list of CAS API reference, certificate order actions', () => {
    assert.deepEqual(
      PRODUCTS.filter((p) => p.dvOnlyApis).map((p) => p.code),
      DV_ONLY_API_CODES,
    );
  });

  test('the default product is a known, free, single-domain DV product', () => {
    const p = getProduct(DEFAULT_PRODUCT_CODE);
    assert.equal(p.code, 'digicert-free-1-free');
    assert.equal(p.certType, 'FREE');
    assert.equal(p.domains, 'single');
    assert.equal(p.validation, 'DV');
  });

  // Expected attributes per code, written out so that a change to the data shows up here.
  const expected: Array<[string, Partial<Product>]> = [
    [
      'digicert-free-1-free',
      {
        brand: 'DigiCert',
        rootBrand: 'DigiCert',
        validation: 'DV',
        certType: 'FREE',
        domains: 'single',
        defaultValidityDays: 90,
      },
    ],
    [
      'symantec-free-1-free',
      {
        brand: 'DigiCert',
        rootBrand: 'DigiCert',
        validation: 'DV',
        certType: 'FREE',
        domains: 'single',
        defaultValidityDays: 365,
      },
    ],
    [
      'symantec-dv-1-starter',
      { brand: 'DigiCert', validation: 'DV', certType: 'DV', domains: 'single', defaultValidityDays: 365 },
    ],
    ['symantec-ov-1-personal', { brand: 'DigiCert', validation: 'OV', certType: 'OV', domains: 'single' }],
    ['symantec-ov-w-personal', { brand: 'DigiCert', validation: 'OV', certType: 'OV', domains: 'wildcard' }],
    [
      'geotrust-dv-1-starter',
      { brand: 'GeoTrust', rootBrand: 'DigiCert', validation: 'DV', certType: 'DV', domains: 'single' },
    ],
    [
      'geotrust-dv-w-starter',
      { brand: 'GeoTrust', rootBrand: 'DigiCert', validation: 'DV', certType: 'DV', domains: 'wildcard' },
    ],
    ['geotrust-ov-1-personal', { brand: 'GeoTrust', validation: 'OV', certType: 'OV', domains: 'single' }],
    ['geotrust-ov-w-personal', { brand: 'GeoTrust', validation: 'OV', certType: 'OV', domains: 'wildcard' }],
    [
      'globalsign-dv-1-personal',
      { brand: 'GlobalSign', rootBrand: 'GlobalSign', validation: 'DV', certType: 'DV', domains: 'single' },
    ],
    ['globalsign-dv-w-advanced', { brand: 'GlobalSign', validation: 'DV', certType: 'DV', domains: 'wildcard' }],
    ['globalsign-ov-1-personal', { brand: 'GlobalSign', validation: 'OV', certType: 'OV', domains: 'single' }],
    ['globalsign-ov-w-advanced', { brand: 'GlobalSign', validation: 'OV', certType: 'OV', domains: 'wildcard' }],
    ['cfca-ov-1-personal', { brand: 'CFCA', rootBrand: 'CFCA', validation: 'OV', certType: 'OV', domains: 'single' }],
    // docs/cas-compat.md: "ev" in the code, vetted and reported as OV.
    [
      'cfca-ev-w-advanced',
      { brand: 'CFCA', rootBrand: 'CFCA', validation: 'OV', certType: 'OV', domains: 'wildcard', policyOid: OV_OID },
    ],
  ];
  for (const [code, attrs] of expected) {
    test(`${code} has the documented attributes`, () => {
      const p = getProduct(code);
      for (const [key, value] of Object.entries(attrs)) {
        assert.equal(p[key as keyof Product], value, `${code}.${key}`);
      }
    });
  }

  test('the code pattern <brand>-<level>-<1|w>-<tier> agrees with each entry (cfca-ev excepted for level)', () => {
    for (const p of PRODUCTS) {
      const [, level, scope] = p.code.split('-');
      assert.equal(p.domains, scope === 'w' ? 'wildcard' : 'single', p.code);
      if (p.code !== 'cfca-ev-w-advanced') {
        assert.equal(p.validation, level === 'free' ? 'DV' : level?.toUpperCase(), p.code);
      }
    }
  });

  test('derived fields are consistent for every product', () => {
    for (const p of PRODUCTS) {
      assert.notEqual(p.validation, 'EV', `${p.code}: EV vetting is not implemented`);
      assert.equal(p.policyOid, p.validation === 'DV' ? DV_OID : OV_OID, p.code);
      assert.equal(p.requiresReview, p.validation !== 'DV', p.code);
      assert.equal(p.dvOnlyApis, p.validation === 'DV', p.code);
      assert.equal(p.certType === 'FREE', p.code.endsWith('-free'), p.code);
      if (p.certType !== 'FREE') assert.equal(p.defaultValidityDays, 365, p.code);
      assert.ok(p.name.length > 0 && p.name.includes(p.validation), `${p.code} name "${p.name}"`);
      assert.ok(['DigiCert', 'GeoTrust', 'GlobalSign', 'CFCA'].includes(p.brand), p.code);
    }
  });

  test('the catalogue and its entries are frozen', () => {
    assert.ok(Object.isFrozen(PRODUCTS));
    for (const p of PRODUCTS) assert.ok(Object.isFrozen(p), p.code);
    assert.throws(() => {
      (PRODUCTS[0] as { defaultValidityDays: number }).defaultValidityDays = 9999;
    }, TypeError);
    assert.equal(getProduct('digicert-free-1-free').defaultValidityDays, 90);
  });
});

describe('findProduct / getProduct', () => {
  const unknown: Array<[string, string]> = [
    // Not in any documented list (CAS API reference: ProductCode values of CreateCertificateForPackageRequest).
    ['geotrust-dv-w-advanced', 'The ProductCode "geotrust-dv-w-advanced" is not a known product.'],
    ['', 'The ProductCode "" is not a known product.'],
    // Codes match exactly: the SDK sends them lower-case.
    ['DIGICERT-FREE-1-FREE', 'The ProductCode "DIGICERT-FREE-1-FREE" is not a known product.'],
    [' digicert-free-1-free', 'The ProductCode " digicert-free-1-free" is not a known product.'],
    ['a\nb', 'The ProductCode "a?b" is not a known product.'],
    ['x'.repeat(5000), `The ProductCode "${'x'.repeat(64)}..." is not a known product.`],
  ];
  for (const [code, message] of unknown) {
    test(`unknown code ${JSON.stringify(code.slice(0, 30))} is invalid_parameter`, () => {
      assert.equal(findProduct(code), undefined);
      assert.throws(
        () => getProduct(code),
        (e: unknown) => e instanceof CertError && e.kind === 'invalid_parameter' && e.message === message,
      );
    });
  }

  test('every documented code is found and is the same object each time', () => {
    for (const code of DOCUMENTED_CODES) {
      const p = findProduct(code);
      assert.ok(p, code);
      assert.equal(p.code, code);
      assert.equal(getProduct(code), p);
    }
  });
});
