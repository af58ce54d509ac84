// Random values for domain validation (DNS TXT record or HTTP file content).
import type { RandomSource } from './ports.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A domain-validation random value: a timestamp then 50 random base-36 characters (~258
 * bits), shaped like the RecordValue example of DescribeCertificateState (Alibaba Cloud CAS
 * API reference) and far above the 112 bits of entropy BR 1.6.1 v2.2.6 asks of a Random Value.
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
