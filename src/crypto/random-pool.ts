// A RandomSource that draws small requests from a buffer of CSPRNG output refilled 4 KiB at a
// time. Each node:crypto randomBytes() call pays a fixed cost (argument checks, a buffer, one
// RAND_bytes call behind OpenSSL's locks) of about 5 µs, which was a visible share of a
// certificate's issuance (16 octets of serial each; bench/issuance.ts). Node does the same for
// crypto.randomUUID(), which serves UUIDs from a cached block of random bytes.
//
// Every octet is handed out once and copied out, so callers may keep or change what they get;
// the pool is per thread (module state), and large requests go straight to randomBytes().

import { randomBytes } from 'node:crypto';
import type { RandomSource } from '../domain/ports.js';

const POOL_BYTES = 4096;
const POOLED_MAX = 256;

export function pooledRandom(): RandomSource {
  let pool = Buffer.alloc(0);
  let offset = 0;
  return {
    bytes(n: number): Buffer {
      if (n > POOLED_MAX) return randomBytes(n);
      if (offset + n > pool.length) {
        pool = randomBytes(POOL_BYTES);
        offset = 0;
      }
      const out = Buffer.allocUnsafe(n);
      pool.copy(out, 0, offset, offset + n);
      // Used octets are wiped so that what was handed out is not left behind in memory.
      pool.fill(0, offset, offset + n);
      offset += n;
      return out;
    },
  };
}
