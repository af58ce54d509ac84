// CancelCertificateForPackageRequest (Alibaba Cloud CAS API reference): revokes an issued
// certificate and ends its order as revoked. A revocation without a stated reason carries
// no reasonCode (RFC 5280 §5.3.1: "unspecified" SHOULD be expressed by omitting the extension).
import { CertError } from '../domain/errors.js';
import { normalizeSerial } from '../domain/revocation.js';
import type { UseCaseDeps } from './deps.js';
import type { EventRepoReads, EventRepoWrites } from './events.js';
import { illegal, lockOwnOrder } from './load-order.js';

type RevokeWrites = 'orders' | 'certificates' | EventRepoWrites;
export type RevokeDeps = UseCaseDeps<'clock' | 'events', RevokeWrites, EventRepoReads>;
export type RevokeBySerialDeps = UseCaseDeps<'clock' | 'events' | 'ca', RevokeWrites, EventRepoReads>;

export async function revokeOrderCertificate(
  deps: RevokeDeps,
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
    if (!(await repos.certificates.markRevoked(cert.id, now, reason)))
      throw new CertError('illegal_state', `The certificate of order ${orderId} is already revoked.`);
    await repos.orders.moveOrder(orderId, { to: 'revoked', from: ['certificate'] }, { updatedAt: now });
    await deps.events(repos, { kind: 'revoked', accountId, orderId, certificateId: cert.id, reason }, now);
  });
}

/**
 * Operator revocation by serial (`certdesk admin cert revoke --serial HEX --reason R`), and
 * the common path of revocation by proof of key possession: any certdesk-issued certificate,
 * whichever account owns it. Its order, if any, ends as revoked too.
 */
export async function revokeBySerial(
  deps: RevokeBySerialDeps,
  serialHex: string,
  reason: number | null,
): Promise<{ certificateId: number; orderId: number | null }> {
  const serial = normalizeSerial(serialHex);
  return deps.store.writeTransaction(async (repos) => {
    const cert = await repos.certificates.findIssuedBySerial(deps.ca.issuerIds, serial);
    if (!cert) throw new CertError('not_found', `No certificate with serial ${serial} was issued by certdesk.`);
    if (cert.revokedAt !== null) throw new CertError('illegal_state', `The certificate ${serial} is already revoked.`);
    const now = deps.clock.now();
    // Guarded in the statement too: of two revocations racing (two processes), one revokes.
    if (!(await repos.certificates.markRevoked(cert.id, now, reason)))
      throw new CertError('illegal_state', `The certificate ${serial} is already revoked.`);
    if (cert.orderId !== null)
      await repos.orders.moveOrder(cert.orderId, { to: 'revoked', from: ['certificate'] }, { updatedAt: now });
    await deps.events(
      repos,
      { kind: 'revoked', accountId: cert.accountId, orderId: cert.orderId, certificateId: cert.id, reason },
      now,
    );
    return { certificateId: cert.id, orderId: cert.orderId };
  });
}
