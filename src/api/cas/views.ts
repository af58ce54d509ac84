// Wire shapes of the order and certificate actions (principle 2: rows, domain objects and
// wire shapes are three things). Field names, spellings and formats are CAS's (CAS doc §5).
import { X509Certificate } from 'node:crypto';
import { pemFromBase64, toPem } from '../../crypto/pem.js';
import { orderListStatus, certificateStatus, type OrderState } from '../../domain/order.js';
import { getProduct } from '../../policy/products.js';
import { dcvBaseDomain, isWildcard } from '../../policy/names.js';
import { DNS_RECORD_LABEL, FILE_VALIDATION_PATH } from '../../validation/index.js';
import type { CertificateRow, OrderRow } from '../../store/schema.js';
import type { OrderStateView } from '../../orders/describe-order.js';
import type { CertificateDetail } from '../../orders/user-certificates.js';

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` (UTC), the CAS date format of StartDate/EndDate (CAS doc §5.3). */
export function casDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function algorithmName(keyAlgorithm: string): 'RSA' | 'ECC' {
  return keyAlgorithm.startsWith('rsa') ? 'RSA' : 'ECC';
}

function certificatePem(row: CertificateRow | undefined): string {
  return row?.cert_der ? pemFromBase64('CERTIFICATE', row.cert_der) : '';
}

/** DescribeCertificateState (CAS doc §5.1). The challenge shown is the first name still to prove. */
export function describeStateView(v: OrderStateView, chainPem: (issuerId: number) => string): Record<string, unknown> {
  // CAS documents no Type for a revoked order (CAS doc §6); it still has its certificate.
  const type: OrderState | 'certificate' = v.state === 'revoked' ? 'certificate' : v.state;
  const out: Record<string, unknown> = { Type: type };
  if (v.state === 'domain_verify') {
    const pending = v.authorizations.find((a) => a.status !== 'valid') ?? v.authorizations[0];
    out.ValidateType = v.order.validate_type;
    if (pending) {
      if (v.order.validate_type === 'DNS') {
        Object.assign(out, {
          RecordType: 'TXT',
          RecordDomain: DNS_RECORD_LABEL,
          RecordValue: pending.token,
          Domain: dcvBaseDomain(pending.domain),
        });
      } else {
        Object.assign(out, { Domain: pending.domain, Uri: FILE_VALIDATION_PATH, Content: pending.token });
      }
    }
    // Not in the CAS model (the SDK ignores it): every name's challenge, for multi-domain orders.
    out.DomainVerifications = v.authorizations.map((a) => ({
      Domain: a.domain,
      Status: a.status,
      RecordDomain: `${DNS_RECORD_LABEL}.${dcvBaseDomain(a.domain)}`,
      RecordValue: a.token,
      Uri: FILE_VALIDATION_PATH,
      Content: a.token,
      Reason: a.last_error ?? '',
    }));
  }
  if (v.certificate?.state === 'issued') {
    out.Certificate = certificatePem(v.certificate) + chainPem(v.certificate.issuer_id ?? 0);
    out.PrivateKey = v.privateKeyDer ? toPem('PRIVATE KEY', v.privateKeyDer) : '';
  }
  if (v.order.fail_reason) out.FailReason = v.order.fail_reason; // not in the CAS model: why validation is waiting or failed
  return out;
}

function domainType(names: string[]): string {
  const wild = names.filter(isWildcard).length;
  if (names.length === 1) return wild ? 'WILDCARD' : 'ONE';
  if (wild === names.length) return 'M_WILDCARD';
  return wild ? 'MIX' : 'MULTIPLE';
}

/** ListUserCertificateOrder element for CPACK orders (CAS doc §5.3). */
export function orderListItem(order: OrderRow, cert: CertificateRow | undefined, now: number): Record<string, unknown> {
  const product = getProduct(order.product_code);
  const names = order.domains.split(',');
  const issued = cert?.state === 'issued' ? cert : undefined;
  return {
    OrderId: order.id,
    InstanceId: `cas-ivauto-${order.id}`,
    ProductCode: product.code,
    ProductName: product.name,
    Domain: order.domains,
    DomainType: domainType(names),
    DomainCount: names.filter((n) => !isWildcard(n)).length,
    WildDomainCount: names.filter(isWildcard).length,
    CertType: product.certType,
    RootBrand: product.rootBrand,
    Status: orderListStatus(
      order.state as OrderState,
      issued ? { notAfter: issued.not_after, revokedAt: issued.revoked_at } : undefined,
      now,
    ),
    SourceType: 'cpack',
    TrusteeStatus: 'unTrustee',
    Algorithm: algorithmName(order.key_algorithm),
    AliyunOrderId: order.id,
    PartnerOrderId: `certdesk-${order.id}`,
    BuyDate: order.created_at,
    ...(issued ? { CertStartTime: issued.not_before, CertEndTime: issued.not_after, CertificateId: issued.id } : {}),
  };
}

/** ListUserCertificateOrder element for CERT/UPLOAD (CAS doc §5.3). */
export function certificateListItem(c: CertificateRow, now: number): Record<string, unknown> {
  return {
    CertificateId: c.id,
    Name: c.name,
    CommonName: c.common_name,
    Sans: c.sans,
    Issuer: c.issuer_cn,
    Fingerprint: c.sha1,
    Sha2: c.sha256,
    SerialNo: c.serial,
    StartDate: casDate(c.not_before),
    EndDate: casDate(c.not_after),
    Expired: now > c.not_after,
    Upload: c.source === 'upload',
    Status: certificateStatus(c.not_after, c.revoked_at, now),
    OrgName: c.org_name,
    Country: c.country,
    Province: c.province,
    City: c.city,
    ResourceGroupId: '',
    ...(c.order_id !== null
      ? { OrderId: c.order_id, InstanceId: `cas-ivauto-${c.order_id}` }
      : { InstanceId: `cas-upload-${c.id}` }),
  };
}

function commonNameOf(x: X509Certificate, field: 'subject' | 'issuer'): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(x[field])?.[1] ?? '';
}

/** GetUserCertificateDetail (CAS doc §5.3). CertFilter=true hides the PEMs. */
export function certificateDetailView(d: CertificateDetail, certFilter: boolean, now: number): Record<string, unknown> {
  const { row, x509 } = d;
  const keyType = x509.publicKey.asymmetricKeyType;
  const out: Record<string, unknown> = {
    Id: row.id,
    Name: row.name,
    InstanceId: row.order_id !== null ? `cas-ivauto-${row.order_id}` : `cas-upload-${row.id}`,
    ...(row.order_id !== null ? { OrderId: row.order_id } : {}),
    ResourceGroupId: '',
    Common: row.common_name,
    Sans: row.sans,
    Issuer: row.issuer_cn,
    Algorithm: keyType === 'rsa' ? 'RSA' : 'ECC',
    SerialNo: row.serial,
    Fingerprint: row.sha1,
    Sha2: row.sha256,
    OrgName: row.org_name,
    Country: row.country,
    Province: row.province,
    City: row.city,
    StartDate: casDate(row.not_before),
    EndDate: casDate(row.not_after),
    NotBefore: row.not_before,
    NotAfter: row.not_after,
    Expired: now > row.not_after,
    BuyInAliyun: false,
    CertIdentifier: `${row.id}-cn-hangzhou`,
    CertChain: [x509, ...d.chain].map((c) => {
      const notAfter = Date.parse(c.validTo);
      return {
        CommonName: commonNameOf(c, 'subject'),
        IssuerCommonName: commonNameOf(c, 'issuer'),
        NotBefore: Date.parse(c.validFrom),
        NotAfter: notAfter,
        RemainDay: Math.max(0, Math.floor((notAfter - now) / DAY_MS)),
      };
    }),
  };
  if (!certFilter) {
    out.Cert = [x509, ...d.chain].map((c) => c.toString()).join('');
    out.Key = d.privateKeyDer ? toPem('PRIVATE KEY', d.privateKeyDer) : '';
  }
  return out;
}
