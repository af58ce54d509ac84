import type { RandomSource } from '../domain/ports.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Uniform base-62 text (rejection sampling: no modulo bias). */
export function randomBase62(random: RandomSource, length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of random.bytes(length * 2)) {
      if (b < 248) out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** AccessKeyIds look like Alibaba's (`LTAI` + 20 characters) so tools that sniff the prefix accept them. */
export function newAccessKeyId(random: RandomSource): string {
  return `LTAI${randomBase62(random, 20)}`;
}

/** 30 characters of base 62: about 178 bits. */
export function newAccessKeySecret(random: RandomSource): string {
  return randomBase62(random, 30);
}
