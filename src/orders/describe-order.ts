// DescribeCertificateState (Alibaba Cloud CAS API reference): where an order stands, what the customer must
// publish while it waits for domain validation, and the certificate (with the private key
// certdesk made, if it made one) once issued.
import { CertError } from '../domain/errors.js';
import type { Authorization, Order } from '../domain/order.js';
import type { Certificate } from '../domain/certificate.js';
import type { UseCaseDeps } from './deps.js';
import { requestValidationSoon } from './run-validation.js';
import { openOrderKey } from './order-key.js';

export interface OrderStateView {
  order: Order;
  authorizations: Authorization[];
  certificate: Certificate | undefined;
  /** PKCS#8 DER of the key certdesk generated, only once the certificate is issued. */
  privateKeyDer: Buffer | undefined;
}

/**
 * How long a DescribeCertificateState that asked for a validation attempt waits for its
 * outcome (and, once validated, for the issuance that follows in the same worker turn). Well
 * under the SDK's read timeout (3 s): a queue longer than this is answered with the state as it is.
 */
export const ATTEMPT_WAIT_MS = 500;

/**
 * `beforeWrite` (the API's verdict on nonce and rate limit) is awaited before the one write this may do,
 * asking for an early validation attempt while the order waits for it. When this call asked
 * for one, the answer waits for it (at most ATTEMPT_WAIT_MS, deps.attempts): the customer who
 * published the record and asks again hears the outcome, a certificate if all went well,
 * without polling for it. Only a call granted a nudge waits, so a flood holds a handful.
 */
export async function describeOrder(
  deps: UseCaseDeps<
    'clock' | 'wake' | 'sealer' | 'nudges' | 'attempts',
    'jobs',
    'orders' | 'authorizations' | 'certificates'
  >,
  accountId: number,
  orderId: number,
  beforeWrite?: Promise<void>,
): Promise<OrderStateView> {
  const { repos } = deps.store;
  let found = await repos.orders.getWithCertificate(accountId, orderId);
  if (!found) throw new CertError('not_found', `The order ${orderId} does not exist.`);
  if (found.order.state === 'domain_verify') {
    // Bounded (deps.nudges): each attempt queries the names the customer chose.
    const now = deps.clock.now();
    const runAt = deps.nudges.grant(accountId, orderId, now);
    if (runAt !== undefined) {
      await beforeWrite;
      await requestValidationSoon(deps, orderId, runAt);
      if (deps.attempts !== undefined && runAt - now < ATTEMPT_WAIT_MS) {
        await deps.attempts.wait(orderId, runAt - now + ATTEMPT_WAIT_MS);
        found = (await repos.orders.getWithCertificate(accountId, orderId)) ?? found;
      }
    }
  }
  const { order } = found;
  const { state } = order;
  const authorizations = state === 'domain_verify' ? await repos.authorizations.forOrder(orderId) : [];
  const issued = state === 'certificate' || state === 'revoked';
  let certificate = issued ? found.certificate : undefined;
  // Where the two rows come from two reads (SQLite: store/repos/orders.ts), an order issued
  // between them reads as issued beside a certificate still unsigned (or missing): read it again.
  if (issued && certificate?.state !== 'issued') certificate = await repos.certificates.forOrder(orderId);
  const privateKeyDer = issued && order.keySealed ? openOrderKey(deps.sealer, order, order.keySealed) : undefined;
  return { order, authorizations, certificate, privateKeyDer };
}
