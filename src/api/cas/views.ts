// Wire shapes of the order and certificate actions: rows, domain objects and wire shapes
// are three things. Field names, spellings and formats are CAS's (Alibaba Cloud CAS API
// reference, each action's response parameters).
import { X509Certificate } from 'node:crypto';
import { pemFromBase64, toPem } from '../../crypto/pem.js';
import { orderListStatus, certificateStatus, type OrderState } from '../../domain/order.js';
import { getProduct } from '../../policy/products.js';
import { dcvBaseDomain, isWildcard } from '../../policy/names.js';
import { DNS_RECORD_LABEL, FILE_VALIDATION_PATH } from '../../validation/index.js';
import type { Order } from '../../domain/order.js';
import type { Certificate } from '../../domain/certificate.js';
import type { OrderStateView } from '../../orders/describe-order.js';
import type { CertificateDetail } from '../../orders/user-certificates.js';

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` (UTC), the CAS date format of StartDate/EndDate (ListUserCertificateOrder). */
export function casDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function algorithmName(keyAlgorithm: string): 'RSA' | 'ECC' {
  return keyAlgorithm.startsWith('rsa') ? 'RSA' : 'ECC';
}

function certificatePem(cert: Certificate | undefined): string {
  return cert?.certDer ? pemFromBase64('CERTIFICATE', cert.certDer) : '';
}

/** DescribeCertificateState. The challenge shown is the first name still to prove. */
export function describeStateView(v: OrderStateView, chainPem: (issuerId: number) => string): Record<string, unknown> {
  // DescribeCertificateState documents no Type for a revoked order; it still has its certificate.
  const { state } = v.order;
  // An ACME order that is validated and waits for its CSR (RFC 8555 "ready") is, in CAS
  // terms, past validation: process (DescribeCertificateState.Type has no other word for it).
  const type: OrderState | 'certificate' = state === 'revoked' ? 'certificate' : state === 'ready' ? 'process' : state;
  const out: Record<string, unknown> = { Type: type };
  if (state === 'domain_verify') {
    const pending = v.authorizations.find((a) => a.status !== 'valid') ?? v.authorizations[0];
    out.ValidateType = v.order.validateType;
    if (pending) {
      if (v.order.validateType === 'DNS') {
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
      Reason: a.lastError ?? '',
    }));
  }
  if (v.certificate?.state === 'issued') {
    out.Certificate = certificatePem(v.certificate) + chainPem(v.certificate.issuerId ?? 0);
    out.PrivateKey = v.privateKeyDer ? toPem('PRIVATE KEY', v.privateKeyDer) : '';
  }
  if (v.order.failReason) out.FailReason = v.order.failReason; // not in the CAS model: why validation is waiting or failed
  return out;
}

function domainType(names: string[]): string {
  const wild = names.filter(isWildcard).length;
  if (names.length === 1) return wild ? 'WILDCARD' : 'ONE';
  if (wild === names.length) return 'M_WILDCARD';
  return wild ? 'MIX' : 'MULTIPLE';
}

/** ListUserCertificateOrder element for CPACK orders. */
export function orderListItem(order: Order, cert: Certificate | undefined, now: number): Record<string, unknown> {
  const product = getProduct(order.productCode);
  const { names } = order;
  const issued = cert?.state === 'issued' ? cert : undefined;
  return {
    OrderId: order.id,
    InstanceId: `cas-ivauto-${order.id}`,
    ProductCode: product.code,
    ProductName: product.name,
    Domain: names.join(','),
    DomainType: domainType(names),
    DomainCount: names.filter((n) => !isWildcard(n)).length,
    WildDomainCount: names.filter(isWildcard).length,
    CertType: product.certType,
    RootBrand: product.rootBrand,
    Status: orderListStatus(
      order.state,
      issued ? { notAfter: issued.notAfter, revokedAt: issued.revokedAt } : undefined,
      now,
    ),
    SourceType: 'cpack',
    TrusteeStatus: 'unTrustee',
    Algorithm: algorithmName(order.keyAlgorithm),
    AliyunOrderId: order.id,
    PartnerOrderId: `certdesk-${order.id}`,
    BuyDate: order.createdAt,
    ...(issued ? { CertStartTime: issued.notBefore, CertEndTime: issued.notAfter, CertificateId: issued.id } : {}),
  };
}

/** ListUserCertificateOrder element for CERT/UPLOAD. */
export function certificateListItem(c: Certificate, now: number): Record<string, unknown> {
  return {
    CertificateId: c.id,
    Name: c.name,
    CommonName: c.commonName,
    Sans: c.sans.join(','),
    Issuer: c.issuerCn,
    Fingerprint: c.sha1,
    Sha2: c.sha256,
    SerialNo: c.serial,
    StartDate: casDate(c.notBefore),
    EndDate: casDate(c.notAfter),
    Expired: now > c.notAfter,
    Upload: c.source === 'upload',
    Status: certificateStatus(c.notAfter, c.revokedAt, now),
    OrgName: c.orgName,
    Country: c.country,
    Province: c.province,
    City: c.city,
    ResourceGroupId: '',
    ...(c.orderId !== null
      ? { OrderId: c.orderId, InstanceId: `cas-ivauto-${c.orderId}` }
      : { InstanceId: `cas-upload-${c.id}` }),
  };
}

function commonNameOf(x: X509Certificate, field: 'subject' | 'issuer'): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(x[field])?.[1] ?? '';
}

/** GetUserCertificateDetail. CertFilter=true hides the PEMs. */
export function certificateDetailView(d: CertificateDetail, certFilter: boolean, now: number): Record<string, unknown> {
  const { certificate: c, x509 } = d;
  const keyType = x509.publicKey.asymmetricKeyType;
  const out: Record<string, unknown> = {
    Id: c.id,
    Name: c.name,
    InstanceId: c.orderId !== null ? `cas-ivauto-${c.orderId}` : `cas-upload-${c.id}`,
    ...(c.orderId !== null ? { OrderId: c.orderId } : {}),
    ResourceGroupId: '',
    Common: c.commonName,
    Sans: c.sans.join(','),
    Issuer: c.issuerCn,
    Algorithm: keyType === 'rsa' ? 'RSA' : 'ECC',
    SerialNo: c.serial,
    Fingerprint: c.sha1,
    Sha2: c.sha256,
    OrgName: c.orgName,
    Country: c.country,
    Province: c.province,
    City: c.city,
    StartDate: casDate(c.notBefore),
    EndDate: casDate(c.notAfter),
    NotBefore: c.notBefore,
    NotAfter: c.notAfter,
    Expired: now > c.notAfter,
    BuyInAliyun: false,
    CertIdentifier: `${c.id}-cn-hangzhou`,
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
