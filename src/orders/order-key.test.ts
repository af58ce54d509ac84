import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretBox, generateMasterKey } from '../crypto/secret-box.js';
import { orderKeyAad } from '../domain/order.js';
import { openOrderKey, sealOrderKey } from './order-key.js';

const sealer = createSecretBox(generateMasterKey());
const pkcs8 = Buffer.from('a generated key');
const order = { id: 7, accountId: 3, spki: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE' };

test('a key sealed before the order exists opens with its order', () => {
  const sealed = sealOrderKey(sealer, order.accountId, order.spki, pkcs8);
  assert.deepEqual(openOrderKey(sealer, order, sealed), pkcs8);
});

test('a key sealed under the order id (rows written before) still opens', () => {
  const sealed = sealer.seal(pkcs8, orderKeyAad(order.id));
  assert.deepEqual(openOrderKey(sealer, order, sealed), pkcs8);
  assert.throws(() => openOrderKey(sealer, { ...order, id: 8 }, sealed));
});

test("a sealed key copied to another account's order, or to another key's order, does not open", () => {
  const sealed = sealOrderKey(sealer, order.accountId, order.spki, pkcs8);
  assert.throws(() => openOrderKey(sealer, { ...order, accountId: 4 }, sealed));
  assert.throws(() => openOrderKey(sealer, { ...order, spki: order.spki + 'AA' }, sealed));
  // Without its mark it is read as an id-bound value, which it is not.
  assert.throws(() => openOrderKey(sealer, order, sealed.slice(2)));
});
