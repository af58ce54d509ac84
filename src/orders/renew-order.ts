// RenewCertificateOrderForPackageRequest (Alibaba Cloud CAS API reference): allowed only
// while the certificate is about to expire (WILLEXPIRED). It creates a new order for the same names
// in pending-application state (`payed`), holding a unit of a plan; the customer then has
// it submitted and validated like any other order (docs/cas-compat.md).
import { CertError } from '../domain/errors.js';
import { certificateStatus } from '../domain/order.js';
import { parseCsr } from '../ca/csr.js';
import { checkSubscriberKey, keyAlgorithmName } from '../policy/key-rules.js';
import { getProduct } from '../policy/products.js';
import { isIpIdentifier } from '../validation/ip-identifier.js';
import type { OrderTag } from '../domain/order.js';
import { namesForApplication } from './names-from-request.js';
import { insertOrder, subscriberKey, type InsertOrderDeps } from './submit-application.js';

export async function renewOrder(
  deps: InsertOrderDeps,
  accountId: number,
  orderId: number,
  input: { csr?: string; tags: OrderTag[] },
): Promise<{ orderId: number }> {
  const old = await deps.store.repos.orders.get(accountId, orderId);
  if (!old) throw new CertError('not_found', `The order ${orderId} does not exist.`);
  const cert = old.state === 'certificate' ? await deps.store.repos.certificates.forOrder(orderId) : undefined;
  if (
    !cert ||
    cert.state !== 'issued' ||
    certificateStatus(cert.notAfter, cert.revokedAt, deps.clock.now()) !== 'WILLEXPIRED'
  ) {
    throw new CertError(
      'illegal_state',
      `The order ${orderId} can be renewed only while its certificate is about to expire (WILLEXPIRED).`,
    );
  }
  const names = old.names;
  // An ACME order on the `shortlived` profile may name IP addresses (RFC 8738); the CAS
  // application validates domains only (DNS TXT or HTTP file at the name), so such an order is
  // renewed through ACME: a new order whose `replaces` names it (RFC 9773 §5).
  const address = names.find(isIpIdentifier);
  if (address !== undefined) {
    throw new CertError(
      'name_rejected',
      `The order ${orderId} certifies the IP address ${address}; renew it through ACME (a new order that replaces it), not RenewCertificateOrderForPackageRequest.`,
    );
  }
  const product = getProduct(old.productCode);
  let csrKey: { spki: Buffer; algorithm: string } | undefined;
  let csrDer: Buffer | undefined;
  if (input.csr !== undefined) {
    const csr = await parseCsr(input.csr);
    checkSubscriberKey(csr.key);
    // The new CSR must name the same domains, with its CN among them.
    namesForApplication(product, names.join(','), csr);
    csrKey = { spki: csr.spki, algorithm: keyAlgorithmName(csr.key) };
    csrDer = csr.der;
  }
  const key = await subscriberKey(csrKey, old.keyAlgorithm.startsWith('rsa') ? 'rsa-2048' : 'ecdsa-p256');
  const newId = await deps.store.writeTransaction((repos) =>
    insertOrder(deps, repos, {
      accountId,
      product,
      names,
      state: 'payed',
      validateType: old.validateType,
      key,
      csrDer,
      contact: old.contact,
      companyName: old.company?.name,
      tags: input.tags.length > 0 ? input.tags : old.tags,
      renewedFrom: old.id,
    }),
  );
  return { orderId: newId };
}
