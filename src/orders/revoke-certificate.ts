// CancelCertificateForPackageRequest (CAS doc §5.1): revokes an issued certificate and
// ends its order as REVOKED. A revocation without a stated reason carries no reasonCode
// (RFC 5280 §5.3.1: "unspecified" SHOULD be expressed by omitting the extension).
import { CertError } from '../domain/errors.js';
import type { OrderDeps } from './deps.js';
import { illegal, lockOwnOrder } from './load-order.js';

export async function revokeOrderCertificate(deps: OrderDeps, accountId: number, orderId: number, reason: number | null = null): Promise<void> {
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
