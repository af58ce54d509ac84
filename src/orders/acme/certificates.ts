// ACME certificate download (RFC 8555 §7.4.2) and revocation (§7.6). Revocation goes through
// revokeBySerial, the use case the operator and revoke-by-key use, so CRL and OCSP hear of it
// in the same transaction.
import { X509Certificate } from 'node:crypto';
import type { AcmeAccount } from '../../domain/acme.js';
import type { Certificate } from '../../domain/certificate.js';
import { pemFromBase64 } from '../../crypto/pem.js';
import { revokeBySerial } from '../revoke-certificate.js';
import { acmeError, type AcmeDeps } from './deps.js';
import { ownAcmeOrder } from './orders.js';

/** The order's certificate, leaf then intermediates (never the root), PEM. Revoked ones stay downloadable. */
export async function acmeCertificateChain(deps: AcmeDeps, account: AcmeAccount, orderUrlId: string): Promise<string> {
  const cert = await deps.store.repos.acme.certificateOfOrder(orderUrlId);
  if (!cert) throw acmeError('not_found', 'malformed', 'No such certificate.');
  if (cert.acmeAccountId !== account.id)
    throw acmeError('unauthorized', 'unauthorized', 'The certificate belongs to another account.');
  if (cert.state !== 'issued' || !cert.certDer) throw acmeError('not_found', 'malformed', 'No such certificate.');
  // The stored DER as PEM (RFC 7468), without parsing it again.
  return pemFromBase64('CERTIFICATE', cert.certDer) + deps.ca.chainPem(cert.issuerId ?? deps.ca.id);
}

/** RFC 5280 §5.3.1 reasons a subscriber may state (BR 7.2.2): unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn. */
const ALLOWED_REASONS = [0, 1, 3, 4, 5, 9];

export type RevokeSigner = { account: AcmeAccount } | { spki: Buffer };

export async function acmeRevokeCertificate(
  deps: AcmeDeps,
  signer: RevokeSigner,
  payload: { certificate?: unknown; reason?: unknown },
): Promise<void> {
  if (typeof payload.certificate !== 'string' || !/^[A-Za-z0-9_-]+$/.test(payload.certificate))
    throw acmeError('invalid_parameter', 'malformed', 'certificate must be base64url DER.');
  let reason = payload.reason === undefined ? 0 : payload.reason;
  if (typeof reason !== 'number' || !ALLOWED_REASONS.includes(reason))
    throw acmeError('invalid_parameter', 'badRevocationReason', `Allowed reasons: ${ALLOWED_REASONS.join(', ')}.`);
  const der = Buffer.from(payload.certificate, 'base64url');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch {
    throw acmeError('invalid_parameter', 'malformed', 'certificate is not a DER X.509 certificate.');
  }
  const serial = x509.serialNumber.toUpperCase().replace(/^0+(?=.)/, '');
  let cert: Certificate | undefined = await deps.store.repos.certificates.findIssuedBySerial(deps.ca.issuerIds, serial);
  if (!cert)
    cert = await deps.store.repos.certificates.findIssuedBySerial(deps.ca.issuerIds, x509.serialNumber.toUpperCase());
  // Only the exact certificate we issued: a look-alike with our serial proves nothing.
  if (!cert || cert.certDer === null || !Buffer.from(cert.certDer, 'base64').equals(der))
    throw acmeError('not_found', 'malformed', 'The certificate was not issued by this server.');
  if (cert.revokedAt !== null)
    throw acmeError('illegal_state', 'alreadyRevoked', 'The certificate is already revoked.');
  if ('spki' in signer) {
    const certSpki = x509.publicKey.export({ format: 'der', type: 'spki' });
    if (!certSpki.equals(signer.spki))
      throw acmeError('unauthorized', 'unauthorized', 'The request is not signed by the certificate key.');
    // §7.6: a request signed by the certificate's own key proves its compromise.
    reason = 1;
  } else if (!(await mayRevoke(deps, signer.account, cert))) {
    throw acmeError('unauthorized', 'unauthorized', 'This account may not revoke the certificate.');
  }
  // RFC 5280 §5.3.1: unspecified is expressed by omitting the reasonCode.
  await revokeBySerial(deps, cert.serial, reason === 0 ? null : (reason as number));
}

/** §7.6: the ordering account, or an account of the same customer holding valid authorizations for every name. */
async function mayRevoke(deps: AcmeDeps, account: AcmeAccount, cert: Certificate): Promise<boolean> {
  if (account.status !== 'valid') return false;
  if (cert.orderId !== null) {
    const rec = await deps.store.repos.acme.orderByOrderId(cert.orderId);
    if (rec && rec.link.acmeAccountId === account.id) return true;
  }
  const now = deps.clock.now();
  for (const name of cert.sans) {
    if (!(await deps.store.repos.acme.reusableAuthorization(account.accountId, name, 0, now))) return false;
  }
  return cert.sans.length > 0;
}

export { ownAcmeOrder };
