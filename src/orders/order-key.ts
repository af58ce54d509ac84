// The private key certdesk generated for an order (CreateCertificateForPackageRequest without a
// CSR), sealed at rest (crypto/secret-box.ts). The sealed value is bound (AES-GCM additional
// data, NIST SP 800-38D) to the order's account and public key, both known before the order
// row exists, so the order is written with its sealed key in the one INSERT instead of an
// INSERT and an UPDATE once the id is known (docs/decisions/0037-fewer-statements-per-order.md).
// A sealed key copied to another account's order, or to an order of another public key, does
// not open. Rows written before were bound to the order's id (domain/order.ts orderKeyAad)
// and carry no prefix: they open as they were sealed.
import { orderKeyAad, type Order } from '../domain/order.js';
import type { SecretSealer } from '../domain/ports.js';

/** Marks a key sealed under orderKeySpkiAad; crypto/secret-box.ts values start with `v1.`, never with this. */
const SPKI_BOUND = 'k.';

function orderKeySpkiAad(accountId: number, spkiBase64: string): string {
  return `order-key:${accountId}:${spkiBase64}`;
}

export function sealOrderKey(sealer: SecretSealer, accountId: number, spkiBase64: string, pkcs8: Buffer): string {
  return SPKI_BOUND + sealer.seal(pkcs8, orderKeySpkiAad(accountId, spkiBase64));
}

export function openOrderKey(
  sealer: SecretSealer,
  order: Pick<Order, 'id' | 'accountId' | 'spki'>,
  sealed: string,
): Buffer {
  return sealed.startsWith(SPKI_BOUND)
    ? sealer.open(sealed.slice(SPKI_BOUND.length), orderKeySpkiAad(order.accountId, order.spki))
    : sealer.open(sealed, orderKeyAad(order.id));
}
