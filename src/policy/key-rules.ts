// Which subscriber public keys certdesk certifies (Baseline Requirements §6.1.1.3, §6.1.5,
// §6.1.6; ballot SC-073).
//
// - RSA: modulus 2048..8192 bits and a multiple of 8 (§6.1.5; the upper bound is certdesk's,
//   to bound the cost of verifying and of the weak-key checks), public exponent 65537 only
//   (§6.1.6 allows any odd e with 2^16+1 <= e <= 2^256-1 as a SHOULD and e >= 3 at least; Boulder's
//   goodkey takes the stricter choice, and so does certdesk: e = 3 has no place in new keys), odd modulus without prime factors below 752 (§6.1.6 SHOULD), not a
//   ROCA key (CVE-2017-15361), not factorable by Fermat's method in 100 rounds (§6.1.1.3,
//   SC-073).
// - ECDSA: P-256 or P-384. §6.1.5 also allows P-521; certdesk's policy refuses it: it is the
//   least supported of the three among TLS clients, so a certificate for it is a trap for the
//   subscriber, and P-384 already gives ample margin.
// - Everything else (Ed25519, Ed448, DSA, RSASSA-PSS-only keys, other curves) is refused:
//   §6.1.5 and §7.1.3.1 list no other algorithms.
//
// Not implemented: the Debian weak-key blocklist (§6.1.1.3; cabforum/Debian-weak-keys, some
// 2^15 moduli per size and architecture). It is large data, not logic; if it is added, it
// belongs beside these checks as a lookup of a hash of the modulus.

import type { KeyObject } from 'node:crypto';
import { CertError } from '../domain/errors.js';

export type PublicKeyInfo =
  | { type: 'rsa'; bits: number; modulus: Buffer; exponent: bigint }
  | { type: 'ec'; /** 'P-256', 'P-384', 'P-521', or another curve's name (refused by the rules) */ curve: string }
  | { type: 'ed25519' | 'ed448' | 'dsa' | 'other'; name: string };

/** The name an order records for its subscriber key: rsa-2048, ecdsa-p256, ecdsa-p384 ... */
export function keyAlgorithmName(key: PublicKeyInfo): string {
  if (key.type === 'rsa') return `rsa-${key.bits}`;
  if (key.type === 'ec') return key.curve === 'P-384' ? 'ecdsa-p384' : 'ecdsa-p256';
  return key.type;
}

export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;
export const FERMAT_ROUNDS = 100;

// OpenSSL's names for the NIST curves (node reports asymmetricKeyDetails.namedCurve as these).
const NIST_CURVES: Record<string, 'P-256' | 'P-384' | 'P-521'> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/**
 * What kind of public key `key` is, with what the rules need. The RSA modulus comes from a
 * JWK export (the cheapest way node offers to read it), so this costs one small export.
 */
export function describePublicKey(key: KeyObject): PublicKeyInfo {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const jwk = key.export({ format: 'jwk' });
      if (typeof jwk.n !== 'string' || details.modulusLength === undefined || details.publicExponent === undefined) {
        throw new CertError('bad_key', 'The RSA public key cannot be read.');
      }
      return {
        type: 'rsa',
        bits: details.modulusLength,
        modulus: Buffer.from(jwk.n, 'base64url'),
        exponent: details.publicExponent,
      };
    }
    case 'ec': {
      const named = details.namedCurve;
      return { type: 'ec', curve: named === undefined ? 'unnamed curve' : (NIST_CURVES[named] ?? named) };
    }
    case 'ed25519':
      return { type: 'ed25519', name: 'Ed25519' };
    case 'ed448':
      return { type: 'ed448', name: 'Ed448' };
    case 'dsa':
      return { type: 'dsa', name: 'DSA' };
    case 'rsa-pss':
      // An SPKI with the id-RSASSA-PSS algorithm identifier (RFC 4055 §1.2), not rsaEncryption.
      return { type: 'other', name: 'RSASSA-PSS' };
    default:
      return { type: 'other', name: key.asymmetricKeyType ?? 'unknown' };
  }
}

/** Throws CertError('bad_key') with the reason if certdesk must not certify this key. */
export function checkSubscriberKey(key: PublicKeyInfo): void {
  switch (key.type) {
    case 'rsa':
      checkRsaKey(key.bits, key.modulus, key.exponent);
      return;
    case 'ec':
      if (key.curve === 'P-256' || key.curve === 'P-384') return;
      if (key.curve === 'P-521') {
        throw new CertError('bad_key', 'P-521 keys are not accepted by certdesk policy; use P-256 or P-384.');
      }
      throw new CertError('bad_key', `ECDSA keys on ${key.curve} are not allowed in the Web PKI; use P-256 or P-384.`);
    case 'other':
      if (key.name === 'RSASSA-PSS') {
        throw new CertError(
          'bad_key',
          'RSA keys must use the rsaEncryption algorithm, not RSASSA-PSS (BR §7.1.3.1.1).',
        );
      }
      throw new CertError('bad_key', `${key.name} keys are not allowed in the Web PKI; use RSA or ECDSA P-256/P-384.`);
    default:
      throw new CertError('bad_key', `${key.name} keys are not allowed in the Web PKI; use RSA or ECDSA P-256/P-384.`);
  }
}

const MAX_EXPONENT = (1n << 256n) - 1n;
/** The one public exponent accepted (F4), as Boulder's goodkey accepts. */
const RSA_EXPONENT = 65537n;

function checkRsaKey(bits: number, modulus: Buffer, exponent: bigint): void {
  if (bits < MIN_RSA_BITS) {
    throw new CertError('bad_key', `RSA keys must be at least ${MIN_RSA_BITS} bits; this one has ${bits} (BR §6.1.5).`);
  }
  if (bits > MAX_RSA_BITS) {
    throw new CertError('bad_key', `RSA keys larger than ${MAX_RSA_BITS} bits are not accepted; this one has ${bits}.`);
  }
  if (bits % 8 !== 0) {
    throw new CertError(
      'bad_key',
      `The RSA modulus size must be a multiple of 8 bits; this one has ${bits} (BR §6.1.5).`,
    );
  }
  if (exponent !== RSA_EXPONENT) {
    throw new CertError(
      'bad_key',
      `The RSA public exponent must be 65537; this key's is ${exponent > MAX_EXPONENT ? 'over 2^256' : String(exponent)} (BR 6.1.6 allows the stricter choice).`,
    );
  }
  const n = BigInt('0x' + modulus.toString('hex'));
  const residues = smallPrimeResidues(n);
  if ((n & 1n) === 0n || residues.some((r) => r === 0)) {
    throw new CertError('bad_key', 'The RSA modulus has a small prime factor (BR §6.1.6).');
  }
  if (hasRocaFingerprint(n, residues)) {
    throw new CertError(
      'bad_key',
      'This RSA key has the ROCA weakness (CVE-2017-15361, Infineon key generation) and can be factored; generate a new key.',
    );
  }
  if (fermatFactor(n, FERMAT_ROUNDS) !== undefined) {
    throw new CertError(
      'bad_key',
      "This RSA key's prime factors are too close together and it can be factored (Fermat's method; BR §6.1.1.3, ballot SC-073); generate a new key.",
    );
  }
}

// ---- Small primes: trial division (§6.1.6 "no factors smaller than 752") and ROCA --------------

/** The odd primes below 752, ascending. */
export const SMALL_PRIMES: readonly number[] = (() => {
  const out: number[] = [];
  for (let c = 3; c < 752; c += 2) {
    if (out.every((p) => p * p > c || c % p !== 0)) out.push(c);
  }
  return out;
})();

// Products of consecutive small primes, each below 2^45, so that one bigint remainder per group
// followed by number arithmetic gives every residue (about 25 bigint operations per modulus).
const PRIME_GROUPS: ReadonlyArray<{ product: bigint; primes: number[] }> = (() => {
  const groups: Array<{ product: bigint; primes: number[] }> = [];
  let primes: number[] = [];
  let product = 1;
  for (const p of SMALL_PRIMES) {
    if (product * p >= 2 ** 45) {
      groups.push({ product: BigInt(product), primes });
      primes = [];
      product = 1;
    }
    primes.push(p);
    product *= p;
  }
  if (primes.length > 0) groups.push({ product: BigInt(product), primes });
  return groups;
})();

/** n mod p for every p in SMALL_PRIMES, in the same order. */
function smallPrimeResidues(n: bigint): number[] {
  const out: number[] = [];
  for (const g of PRIME_GROUPS) {
    const r = Number(n % g.product);
    for (const p of g.primes) out.push(r % p);
  }
  return out;
}

// ROCA (Nemec et al., "The Return of Coppersmith's Attack", ACM CCS 2017): Infineon's RSALib
// built primes as p = k*M + (65537^a mod M), M the primorial of the first n primes (n = 39 for
// 512-bit primes, more for larger ones). So p, q and N = p*q lie in the subgroup generated by
// 65537 modulo M167 = 2*3*...*167, which divides M for every key size RSALib produced. The
// published detector (crocs-muni/roca, detect.py) works in two steps, and so does this code:
//   1. for each odd prime r <= 167, N mod r must lie in <65537 mod r> (tables built once
//      below). A random modulus passes all 38 tests with probability about 2^-28;
//   2. only then, the exact test: N mod M167 must lie in <65537> itself, i.e. the discrete logs
//      of step 1 must agree (checked by Pohlig-Hellman on the prime-power factors of the order
//      of 65537). A random modulus passes with probability about 2^-154 (|<65537>| / phi(M167)).
// Step 1 alone would refuse about one honest key in 2^28; step 2 costs about a millisecond of bigint
// arithmetic and runs only for the keys step 1 flags.
const ROCA_PRIME_COUNT = SMALL_PRIMES.indexOf(167) + 1;
const ROCA_GENERATOR = 65537n;

/** For each odd prime r <= 167: members[x] === 1 iff x is in <65537 mod r>. */
export const ROCA_SUBGROUPS: ReadonlyArray<{ prime: number; members: Uint8Array; order: number }> = SMALL_PRIMES.slice(
  0,
  ROCA_PRIME_COUNT,
).map((prime) => {
  const members = new Uint8Array(prime);
  const g = 65537 % prime;
  let x = 1;
  let order = 0;
  do {
    members[x] = 1;
    x = (x * g) % prime;
    order++;
  } while (x !== 1);
  return { prime, members, order };
});

// M167 (the factor 2 is left out: N is odd, so it adds nothing), the order of 65537 modulo it
// (the lcm of the orders modulo each prime) and that order's prime-power factors.
const ROCA_MODULUS = ROCA_SUBGROUPS.reduce((m, s) => m * BigInt(s.prime), 1n);
const ROCA_ORDER = ROCA_SUBGROUPS.reduce((l, s) => lcm(l, BigInt(s.order)), 1n);
// For each prime power pe of the order: pe and 65537^(order/pe), the generator of its part.
const ROCA_ORDER_PARTS: ReadonlyArray<{ pe: bigint; g: bigint }> = primePowerFactors(ROCA_ORDER).map((pe) => ({
  pe,
  g: modPow(ROCA_GENERATOR, ROCA_ORDER / pe, ROCA_MODULUS),
}));

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function lcm(a: bigint, b: bigint): bigint {
  return (a / gcd(a, b)) * b;
}

/** The prime-power factors of a number whose prime factors are all small (trial division). */
function primePowerFactors(n: bigint): bigint[] {
  const out: bigint[] = [];
  for (let p = 2n; n > 1n; p++) {
    let pe = 1n;
    while (n % p === 0n) {
      n /= p;
      pe *= p;
    }
    if (pe > 1n) out.push(pe);
  }
  return out;
}

function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  base %= m;
  while (exponent > 0n) {
    if ((exponent & 1n) === 1n) result = (result * base) % m;
    base = (base * base) % m;
    exponent >>= 1n;
  }
  return result;
}

function passesRocaResidueTest(residues: readonly number[]): boolean {
  for (let i = 0; i < ROCA_SUBGROUPS.length; i++) {
    if (ROCA_SUBGROUPS[i]!.members[residues[i]!] !== 1) return false;
  }
  return true;
}

/** Is x (mod ROCA_MODULUS) a power of 65537? Pohlig-Hellman, one prime power at a time. */
function isInRocaSubgroup(x: bigint): boolean {
  if (modPow(x, ROCA_ORDER, ROCA_MODULUS) !== 1n) return false;
  for (const { pe, g } of ROCA_ORDER_PARTS) {
    const h = modPow(x, ROCA_ORDER / pe, ROCA_MODULUS);
    let found = false;
    for (let i = 0n, gi = 1n; i < pe; i++, gi = (gi * g) % ROCA_MODULUS) {
      if (gi === h) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

function hasRocaFingerprint(n: bigint, residues: readonly number[]): boolean {
  return passesRocaResidueTest(residues) && isInRocaSubgroup(n % ROCA_MODULUS);
}

/** True if the RSA modulus `n` carries the ROCA fingerprint (CVE-2017-15361). */
export function isRocaModulus(n: bigint): boolean {
  return hasRocaFingerprint(n, smallPrimeResidues(n));
}

/** Step 1 of the detector alone (exported so that tests can show why step 2 exists). */
export function passesRocaResidueFilter(n: bigint): boolean {
  return passesRocaResidueTest(smallPrimeResidues(n));
}

// ---- Fermat factorization (BR §6.1.1.3 via ballot SC-073) ---------------------------------------

/**
 * floor(sqrt(n)) for n >= 0: Newton's method, which descends monotonically to the floor root
 * from any over-estimate. The start is the double-precision root of n's top 52 bits, scaled
 * back and rounded up, so about 26 bits are right at once and each step doubles them.
 */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 2n ** 52n) {
    // Exact in doubles; the rounded root may be one too high just below a square.
    const m = Number(n);
    let r = Math.floor(Math.sqrt(m));
    while (r * r > m) r--;
    while ((r + 1) * (r + 1) <= m) r++;
    return BigInt(r);
  }
  const bits = n.toString(16).length * 4; // >= the bit length, < it + 4
  const shift = BigInt(bits - 52 + (bits % 2)); // even, so that sqrt(2^shift) = 2^(shift/2)
  // n >> shift < 2^52 is exact as a double; ceil(root) + 1, scaled back, exceeds sqrt(n).
  let x = (BigInt(Math.ceil(Math.sqrt(Number(n >> shift)))) + 1n) << (shift / 2n);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

// Squares modulo 64, 63, 65 and 11 (the filter GMP's mpz_perfect_square_p uses): a random
// non-square survives all four with probability about 1/120, so the exact root is rarely taken.
const SQUARE_FILTER_MODULUS = 64 * 63 * 65 * 11;
const SQUARE_TABLES: ReadonlyArray<{ m: number; squares: Uint8Array }> = [64, 63, 65, 11].map((m) => {
  const squares = new Uint8Array(m);
  for (let i = 0; i < m; i++) squares[(i * i) % m] = 1;
  return { m, squares };
});

function mayBeSquare(r: number): boolean {
  for (const t of SQUARE_TABLES) if (t.squares[r % t.m] !== 1) return false;
  return true;
}

/**
 * Fermat's method: with a = ceil(sqrt(n)), tries a, a+1, ... (`rounds` values) for a^2 - n = b^2,
 * which gives n = (a - b)(a + b). Returns the factors if found. This is what SC-073 means by
 * "factored by Fermat in 100 rounds" (it catches |p - q| up to about 2^(bits/4) * 28).
 * b^2 is tracked modulo SQUARE_FILTER_MODULUS as a number, so each round costs no bigint work
 * unless the cheap residue filter passes.
 */
export function fermatFactor(n: bigint, rounds: number): { p: bigint; q: bigint } | undefined {
  if (n < 1n) return undefined;
  const root = isqrt(n);
  const a0 = root * root === n ? root : root + 1n;
  const m = BigInt(SQUARE_FILTER_MODULUS);
  let aMod = Number(a0 % m);
  let b2Mod = Number((a0 * a0 - n) % m);
  for (let i = 0; i < rounds; i++) {
    if (mayBeSquare(b2Mod)) {
      const a = a0 + BigInt(i);
      const b2 = a * a - n;
      const b = isqrt(b2);
      if (b * b === b2) return { p: a - b, q: a + b };
    }
    // (a+1)^2 - n = (a^2 - n) + 2a + 1
    b2Mod = (b2Mod + 2 * aMod + 1) % SQUARE_FILTER_MODULUS;
    aMod = (aMod + 1) % SQUARE_FILTER_MODULUS;
  }
  return undefined;
}
