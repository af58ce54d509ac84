// CancelCertificateForPackageRequest (CAS doc §5.1): revokes an issued certificate and
// ends its order as REVOKED. A revocation without a stated reason carries no reasonCode
// (RFC 5280 §5.3.1: "unspecified" SHOULD be expressed by omitting the extension).
import { CertError } from '../domain/errors.js';
import type { OrderDeps } from './deps.js';
import { illegal, lockOwnOrder } from './load-order.js';

export async function revokeOrderCertificate(
  deps: OrderDeps,
  accountId: number,
  orderId: number,
  reason: number | null = null,
): Promise<void> {
  await deps.store.writeTransaction(async (repos) => {
    const order = await lockOwnOrder(repos, accountId, orderId);
    if (order.state !== 'certificate') throw illegal(order, 'revoking', 'certificate (issued)');
    const cert = await repos.certificates.forOrder(orderId);
    if (!cert || cert.state !== 'issued') throw new CertError('internal', `order ${orderId} has no issued certificate`);
    const now = deps.clock.now();
    await repos.certificates.update(cert.id, { revoked_at: now, revocation_reason: reason });
    await repos.orders.transition(orderId, ['certificate'], { state: 'revoked', updated_at: now });
    await deps.events(repos, { kind: 'revoked', accountId, orderId, certificateId: cert.id, reason }, now);
  });
}

/**
 * Operator revocation by serial (`certdesk admin cert revoke --serial HEX --reason R`), and
 * the common path of revocation by proof of key possession: any certdesk-issued certificate,
 * whichever account owns it. Its order, if any, ends as revoked too.
 */
export async function revokeBySerial(
  deps: OrderDeps,
  serialHex: string,
  reason: number | null,
): Promise<{ certificateId: number; orderId: number | null }> {
  const serial = normalizeSerial(serialHex);
  return deps.store.writeTransaction(async (repos) => {
    const cert = await repos.certificates.findIssuedBySerial(deps.ca.issuerIds, serial);
    if (!cert) throw new CertError('not_found', `No certificate with serial ${serial} was issued by certdesk.`);
    if (cert.revoked_at !== null) throw new CertError('illegal_state', `The certificate ${serial} is already revoked.`);
    const now = deps.clock.now();
    await repos.certificates.update(cert.id, { revoked_at: now, revocation_reason: reason });
    if (cert.order_id !== null)
      await repos.orders.transition(cert.order_id, ['certificate'], { state: 'revoked', updated_at: now });
    await deps.events(
      repos,
      { kind: 'revoked', accountId: cert.account_id, orderId: cert.order_id, certificateId: cert.id, reason },
      now,
    );
    return { certificateId: cert.id, orderId: cert.order_id };
  });
}

/** Serial numbers as stored: upper-case hex without separators or leading 0x. */
export function normalizeSerial(text: string): string {
  const hex = text.trim().replace(/^0x/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{1,40}$/.test(hex))
    throw new CertError('invalid_parameter', 'The serial must be a hexadecimal number.');
  return hex;
}
