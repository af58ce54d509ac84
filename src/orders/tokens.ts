import type { RandomSource } from '../domain/ports.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A domain-validation random value: a timestamp then 50 random base-36 characters (~258
 * bits), shaped like the CAS doc's example `20200420000000223erigacv46...` (§5.1) and
 * far above BR §1.6.1's 112 bits of entropy.
 */
export function newValidationToken(random: RandomSource, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  let out = '';
  while (out.length < 50) {
    for (const b of random.bytes(64)) {
      if (b < 252) out += ALPHABET[b % 36];
      if (out.length === 50) break;
    }
  }
  return stamp + out;
}
