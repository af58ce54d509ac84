import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { CertError } from '../domain/errors.js';
import {
  ROCA_SUBGROUPS,
  SMALL_PRIMES,
  checkSubscriberKey,
  describePublicKey,
  fermatFactor,
  isRocaModulus,
  isqrt,
  passesRocaResidueFilter,
  type PublicKeyInfo,
} from './key-rules.js';

const generateKeyPair = promisify(crypto.generateKeyPair);

// ---- helpers: real primes (OpenSSL's Miller-Rabin through crypto.checkPrimeSync) ----------------

function randomBigInt(bits: number): bigint {
  const bytes = crypto.randomBytes(Math.ceil(bits / 8));
  return BigInt('0x' + bytes.toString('hex')) >> BigInt(bytes.length * 8 - bits);
}

function nextPrime(from: bigint): bigint {
  let c = from | 1n;
  while (!crypto.checkPrimeSync(c)) c += 2n;
  return c;
}

/** A random prime in [3 * 2^(bits-2), 2^bits): the top two bits set, so p*q has exactly 2*bits bits. */
function randomTopPrime(bits: number): bigint {
  return nextPrime((3n << BigInt(bits - 2)) + randomBigInt(bits - 3));
}

function toBuffer(n: bigint): Buffer {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : '0' + hex, 'hex');
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

function rsaInfo(n: bigint, exponent = 65537n): PublicKeyInfo {
  return { type: 'rsa', bits: bitLength(n), modulus: toBuffer(n), exponent };
}

/** A real KeyObject for modulus n (OpenSSL does not check public moduli, so any n works). */
function rsaKeyObject(n: bigint, e = 65537n): crypto.KeyObject {
  return crypto.createPublicKey({
    key: { kty: 'RSA', n: toBuffer(n).toString('base64url'), e: toBuffer(e).toString('base64url') },
    format: 'jwk',
  });
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
  }
  return r;
}

function refusal(key: PublicKeyInfo): string | undefined {
  try {
    checkSubscriberKey(key);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof CertError, 'checkSubscriberKey throws CertError');
    assert.equal(e.kind, 'bad_key');
    return e.message;
  }
}

function modulusOf(key: crypto.KeyObject): bigint {
  return BigInt('0x' + Buffer.from(key.export({ format: 'jwk' }).n!, 'base64url').toString('hex'));
}

// ---- describePublicKey ------------------------------------------------------------------------

describe('describePublicKey', () => {
  const cases: Array<{ name: string; make: () => crypto.KeyObject; want: Partial<PublicKeyInfo> & { type: string } }> =
    [
      {
        name: 'RSA-2048',
        make: () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
        want: { type: 'rsa', bits: 2048, exponent: 65537n },
      },
      {
        name: 'RSA e=3',
        make: () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey,
        want: { type: 'rsa', bits: 2048, exponent: 3n },
      },
      {
        name: 'P-256',
        make: () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
        want: { type: 'ec', curve: 'P-256' },
      },
      {
        name: 'P-384',
        make: () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
        want: { type: 'ec', curve: 'P-384' },
      },
      {
        name: 'P-521',
        make: () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey,
        want: { type: 'ec', curve: 'P-521' },
      },
      {
        name: 'secp256k1',
        make: () => crypto.generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
        want: { type: 'ec', curve: 'secp256k1' },
      },
      {
        name: 'Ed25519',
        make: () => crypto.generateKeyPairSync('ed25519').publicKey,
        want: { type: 'ed25519', name: 'Ed25519' },
      },
      {
        name: 'Ed448',
        make: () => crypto.generateKeyPairSync('ed448').publicKey,
        want: { type: 'ed448', name: 'Ed448' },
      },
      {
        name: 'DSA',
        make: () => crypto.generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).publicKey,
        want: { type: 'dsa', name: 'DSA' },
      },
      {
        name: 'RSASSA-PSS key',
        make: () => crypto.generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey,
        want: { type: 'other', name: 'RSASSA-PSS' },
      },
      {
        name: 'X25519',
        make: () => crypto.generateKeyPairSync('x25519').publicKey,
        want: { type: 'other', name: 'x25519' },
      },
    ];
  for (const c of cases) {
    test(c.name, () => {
      const key = c.make();
      const info = describePublicKey(key);
      const { modulus, ...rest } = info as PublicKeyInfo & { modulus?: Buffer };
      assert.deepEqual(rest, c.want);
      if (info.type === 'rsa') {
        // The modulus is the unsigned big-endian value: same number, no sign octet.
        assert.equal(BigInt('0x' + info.modulus.toString('hex')), modulusOf(key));
        assert.notEqual(info.modulus[0], 0);
        assert.equal(bitLength(BigInt('0x' + info.modulus.toString('hex'))), info.bits);
      } else {
        assert.equal(modulus, undefined);
      }
    });
  }
});

// ---- checkSubscriberKey: sizes, exponents, curves, algorithms ------------------------------------

describe('checkSubscriberKey', () => {
  let rsa2048: crypto.KeyObject;
  let rsa3072: crypto.KeyObject;
  let rsa4096: crypto.KeyObject;
  let rsa1024: crypto.KeyObject;
  let rsa2052: crypto.KeyObject;
  before(async () => {
    const make = async (modulusLength: number) => (await generateKeyPair('rsa', { modulusLength })).publicKey;
    [rsa2048, rsa3072, rsa4096, rsa1024, rsa2052] = await Promise.all([
      make(2048),
      make(3072),
      make(4096),
      make(1024),
      make(2052),
    ]);
  });

  test('RSA sizes (BR §6.1.5)', () => {
    const n2048 = modulusOf(rsa2048);
    // An 8200-bit odd number: OpenSSL imports public moduli without checking them.
    const n8200 = (1n << 8199n) | randomBigInt(8198) | 1n;
    const rows: Array<{ name: string; key: PublicKeyInfo; refused: RegExp | null }> = [
      { name: '1024', key: describePublicKey(rsa1024), refused: /at least 2048 bits; this one has 1024/ },
      { name: '2048', key: describePublicKey(rsa2048), refused: null },
      { name: '3072', key: describePublicKey(rsa3072), refused: null },
      { name: '4096', key: describePublicKey(rsa4096), refused: null },
      {
        name: '2052 (not a multiple of 8)',
        key: describePublicKey(rsa2052),
        refused: /multiple of 8 bits; this one has 2052/,
      },
      { name: '8200', key: describePublicKey(rsaKeyObject(n8200)), refused: /larger than 8192 bits/ },
      {
        name: '2047 (truncated modulus)',
        key: describePublicKey(rsaKeyObject(n2048 >> 1n)),
        refused: /at least 2048 bits; this one has 2047/,
      },
    ];
    for (const r of rows) {
      const got = refusal(r.key);
      if (r.refused === null) assert.equal(got, undefined, r.name);
      else assert.match(got ?? 'accepted', r.refused, r.name);
    }
  });

  // Regression: e = 3 (and any odd e up to 2^256-1) was accepted; 65537 only now, Boulder's rule.
  test('RSA public exponents (BR 6.1.6, the stricter choice): 65537 only', () => {
    const n = modulusOf(rsa2048);
    const rows: Array<{ e: bigint; ok: boolean }> = [
      { e: 1n, ok: false },
      { e: 2n, ok: false },
      { e: 3n, ok: false },
      { e: 17n, ok: false },
      { e: 65536n, ok: false },
      { e: 65537n, ok: true },
      { e: 65539n, ok: false },
      { e: (1n << 256n) - 1n, ok: false },
      { e: (1n << 256n) + 1n, ok: false },
    ];
    for (const r of rows) {
      // Through a real KeyObject, so the exponent really comes from node's key details.
      const info = describePublicKey(rsaKeyObject(n, r.e));
      assert.equal(info.type === 'rsa' && info.exponent, r.e);
      const got = refusal(info);
      if (r.ok) assert.equal(got, undefined, `e=${r.e}`);
      else assert.match(got ?? 'accepted', /exponent must be 65537/, `e=${r.e}`);
    }
  });

  test('RSA moduli with small factors (BR §6.1.6: odd, no factors below 752)', () => {
    const n = modulusOf(rsa2048);
    const even = n + 1n;
    let by751 = n - (n % 751n);
    if (by751 % 2n === 0n) by751 -= 751n;
    assert.equal(bitLength(by751), 2048);
    assert.match(refusal(rsaInfo(even)) ?? 'accepted', /small prime factor/);
    assert.match(refusal(rsaInfo(by751)) ?? 'accepted', /small prime factor/);
    assert.equal(SMALL_PRIMES[0], 3);
    assert.equal(SMALL_PRIMES[SMALL_PRIMES.length - 1], 751);
  });

  test('curves and other algorithms', () => {
    const rows: Array<{ key: PublicKeyInfo; refused: RegExp | null }> = [
      { key: { type: 'ec', curve: 'P-256' }, refused: null },
      { key: { type: 'ec', curve: 'P-384' }, refused: null },
      {
        key: { type: 'ec', curve: 'P-521' },
        refused: /P-521 keys are not accepted by certdesk policy; use P-256 or P-384/,
      },
      { key: { type: 'ec', curve: 'secp256k1' }, refused: /ECDSA keys on secp256k1 are not allowed/ },
      { key: { type: 'ec', curve: 'unnamed curve' }, refused: /unnamed curve/ },
      { key: { type: 'ed25519', name: 'Ed25519' }, refused: /^Ed25519 keys are not allowed in the Web PKI/ },
      { key: { type: 'ed448', name: 'Ed448' }, refused: /^Ed448 keys are not allowed in the Web PKI/ },
      { key: { type: 'dsa', name: 'DSA' }, refused: /^DSA keys are not allowed in the Web PKI/ },
      { key: { type: 'other', name: 'RSASSA-PSS' }, refused: /rsaEncryption algorithm, not RSASSA-PSS/ },
      { key: { type: 'other', name: 'x25519' }, refused: /^x25519 keys are not allowed/ },
    ];
    for (const r of rows) {
      const got = refusal(r.key);
      if (r.refused === null) assert.equal(got, undefined, JSON.stringify(r.key));
      else assert.match(got ?? 'accepted', r.refused, JSON.stringify(r.key));
    }
  });

  test('real random RSA keys are not flagged as weak', () => {
    for (const key of [rsa2048, rsa3072, rsa4096]) {
      const n = modulusOf(key);
      assert.equal(isRocaModulus(n), false);
      assert.equal(fermatFactor(n, 100), undefined);
      assert.equal(refusal(describePublicKey(key)), undefined);
    }
  });
});

// ---- ROCA ---------------------------------------------------------------------------------------

describe('ROCA detection (CVE-2017-15361)', () => {
  // Infineon RSALib primes for 512-bit primes: p = k*M + (65537^a mod M), M = 2*3*5*...*167
  // (the primorial of the first 39 primes). 1024-bit primes used a larger primorial that M
  // divides, so this M makes 2048-bit moduli with the same fingerprint.
  const M = [2, ...SMALL_PRIMES.filter((p) => p <= 167)].reduce((m, p) => m * BigInt(p), 1n);

  function rocaPrime(bits: number): bigint {
    const kMin = (3n << BigInt(bits - 2)) / M + 1n;
    const kSpan = (1n << BigInt(bits)) / M - kMin;
    for (;;) {
      const k = kMin + (randomBigInt(bitLength(kSpan) + 8) % kSpan);
      const p = k * M + modPow(65537n, randomBigInt(64), M);
      if (crypto.checkPrimeSync(p)) return p;
    }
  }

  test('the subgroup tables equal the published fingerprint masks', () => {
    // crocs-muni/roca detect.py `prints` for the primes 3..37: bit x set iff x is in <65537 mod p>.
    const published = [6n, 30n, 126n, 1026n, 5658n, 107286n, 199410n, 8388606n, 536870910n, 2147483646n, 67109890n];
    const ours = ROCA_SUBGROUPS.slice(0, published.length).map((s) =>
      s.members.reduce((mask, v, x) => (v === 1 ? mask | (1n << BigInt(x)) : mask), 0n),
    );
    assert.deepEqual(ours, published);
    assert.equal(ROCA_SUBGROUPS.length, 38);
    assert.equal(ROCA_SUBGROUPS[37]!.prime, 167);
    // The order of 65537 modulo M (lcm of the per-prime orders) is the detector's published
    // generator_order, the group the exact test works in.
    const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
    const order = ROCA_SUBGROUPS.reduce((l, s) => (l / gcd(l, BigInt(s.order))) * BigInt(s.order), 1n);
    assert.equal(order, 2454106387091158800n);
  });

  test('a modulus built the Infineon way is detected and refused', () => {
    const p = rocaPrime(1024);
    const q = rocaPrime(1024);
    const n = p * q;
    assert.equal(bitLength(n), 2048);
    assert.equal(isRocaModulus(n), true);
    assert.match(refusal(describePublicKey(rsaKeyObject(n))) ?? 'accepted', /ROCA weakness \(CVE-2017-15361/);
  });

  test('one Infineon prime times a random prime is not flagged', () => {
    const n = rocaPrime(1024) * randomTopPrime(1024);
    assert.equal(isRocaModulus(n), false);
    assert.equal(refusal(rsaInfo(n)), undefined);
  });

  test('residues that pass each prime separately but have no common discrete log are not flagged', () => {
    // For each r, pick a random power of 65537 mod r independently, glue them by CRT: every
    // per-prime test passes, but N mod M is almost surely not one power of 65537. This is why
    // the detector confirms with the exact subgroup test (per-prime alone: ~2^-28 false positives).
    let x = 0n;
    const m = M / 2n;
    for (const { prime } of ROCA_SUBGROUPS) {
      const r = BigInt(prime);
      const residue = modPow(65537n, randomBigInt(32), r);
      const rest = m / r;
      x = (x + residue * rest * modPow(rest % r, r - 2n, r)) % m;
    }
    const n = x + m * (randomBigInt(1800) | (1n << 1800n));
    assert.equal(passesRocaResidueFilter(n), true);
    assert.equal(isRocaModulus(n), false);
  });
});

// ---- Fermat (SC-073) ----------------------------------------------------------------------------

describe('Fermat factorization (BR §6.1.1.3, ballot SC-073)', () => {
  test('isqrt is the floor square root', () => {
    const big = 1n << 1024n;
    const rows: Array<[bigint, bigint]> = [
      [0n, 0n],
      [1n, 1n],
      [2n, 1n],
      [3n, 1n],
      [4n, 2n],
      [15n, 3n],
      [16n, 4n],
      [17n, 4n],
      [big * big, big],
      [big * big - 1n, big - 1n],
      [(big + 1n) * (big + 1n) - 1n, big],
    ];
    for (const [n, want] of rows) assert.equal(isqrt(n), want, `isqrt(${n})`);
    // Around squares, across the double-precision fast path (< 2^52) and the Newton path.
    for (let bits = 2; bits <= 2100; bits += bits < 120 ? 1 : 97) {
      const k = randomBigInt(bits) | (1n << BigInt(bits - 1));
      for (const n of [k * k - 1n, k * k, k * k + 1n, randomBigInt(bits)]) {
        const r = isqrt(n);
        assert.ok(r * r <= n && (r + 1n) * (r + 1n) > n, `isqrt(${n})`);
      }
    }
  });

  test('small examples', () => {
    assert.deepEqual(fermatFactor(101n * 103n, 1), { p: 101n, q: 103n });
    assert.deepEqual(fermatFactor(10007n * 10007n, 1), { p: 10007n, q: 10007n });
    assert.equal(fermatFactor(3n * 10007n, 100), undefined); // needs (3 + 10007)/2 - 174 rounds
  });

  test('a 2048-bit modulus with close primes is factored and refused', () => {
    const p = randomTopPrime(1024);
    const q = nextPrime(p + (1n << 500n) + randomBigInt(499));
    const n = p * q;
    assert.equal(bitLength(n), 2048);
    assert.deepEqual(fermatFactor(n, 100), { p, q });
    assert.match(refusal(describePublicKey(rsaKeyObject(n))) ?? 'accepted', /prime factors are too close together/);
  });

  test('"100 rounds" is exact: found in round k, not in k-1', () => {
    // Rounds needed ~ (q-p)^2 / (8 sqrt(n)); a gap of ~20 * 2^512 needs about 50.
    const p = randomTopPrime(1024);
    const q = nextPrime(p + 20n * (1n << 512n));
    const n = p * q;
    const root = isqrt(n);
    const a0 = root * root === n ? root : root + 1n;
    const needed = Number((p + q) / 2n - a0) + 1;
    assert.ok(needed > 1 && needed <= 100, `needed ${needed}`);
    assert.deepEqual(fermatFactor(n, needed), { p, q });
    assert.equal(fermatFactor(n, needed - 1), undefined);
    assert.match(refusal(rsaInfo(n)) ?? 'accepted', /too close together/);
  });

  test('primes further apart need more than 100 rounds, and the key is accepted', () => {
    const p = randomTopPrime(1024);
    const q = nextPrime(p + (1n << 520n)); // about 2^13 rounds
    const n = p * q;
    assert.equal(fermatFactor(n, 100), undefined);
    assert.deepEqual(fermatFactor(n, 20000), { p, q });
    assert.equal(refusal(rsaInfo(n)), undefined);
  });
});
