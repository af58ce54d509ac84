import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSecretBox, generateMasterKey, parseMasterKey, withOpenCache } from './secret-box.js';
import { CertError } from '../domain/errors.js';

const OPEN_FAILED = 'sealed value cannot be opened (wrong master key or tampered)';
const isOpenFailure = (e: unknown): boolean =>
  e instanceof CertError && e.kind === 'internal' && e.message === OPEN_FAILED;

describe('secret box', () => {
  const key = generateMasterKey();
  const box = createSecretBox(key);
  const plain = Buffer.from('LTAI-secret-value-0123456789');

  test('round trip, in the v1.<iv>.<body> format', () => {
    const sealed = box.seal(plain, 'LTAI5tExample');
    const parts = sealed.split('.');
    assert.equal(parts.length, 3);
    assert.equal(parts[0], 'v1');
    assert.equal(Buffer.from(parts[1] as string, 'base64url').length, 12);
    assert.equal(Buffer.from(parts[2] as string, 'base64url').length, plain.length + 16);
    assert.ok(!sealed.includes(plain.toString('base64url')));
    assert.deepEqual(box.open(sealed, 'LTAI5tExample'), plain);
  });

  test('empty plaintext round-trips', () =>
    assert.deepEqual(box.open(box.seal(Buffer.alloc(0), 'a'), 'a'), Buffer.alloc(0)));

  test('each seal uses a fresh IV', () => assert.notEqual(box.seal(plain, 'a'), box.seal(plain, 'a')));

  test('a sealed value opens with a second box on the same key', () =>
    assert.deepEqual(createSecretBox(Buffer.from(key)).open(box.seal(plain, 'x'), 'x'), plain));

  test('wrong aad fails', () => assert.throws(() => box.open(box.seal(plain, 'owner-1'), 'owner-2'), isOpenFailure));

  test('wrong key fails', () =>
    assert.throws(() => createSecretBox(generateMasterKey()).open(box.seal(plain, 'a'), 'a'), isOpenFailure));

  const sealed = box.seal(plain, 'a');
  const [v, iv, body] = sealed.split('.') as [string, string, string];
  const flip = (s: string, i: number): string => {
    const b = Buffer.from(s, 'base64url');
    b[i] = (b[i] as number) ^ 1;
    return b.toString('base64url');
  };
  const tampered: Array<[string, string]> = [
    ['ciphertext bit flipped', `${v}.${iv}.${flip(body, 0)}`],
    ['tag bit flipped', `${v}.${iv}.${flip(body, Buffer.from(body, 'base64url').length - 1)}`],
    ['IV bit flipped', `${v}.${flip(iv, 0)}.${body}`],
    ['truncated body', `${v}.${iv}.${body.slice(0, 10)}`],
    ['unknown version', `v2.${iv}.${body}`],
    ['missing part', `${v}.${iv}`],
    ['not base64url', `${v}.${iv}.${body}!`],
    ['empty', ''],
  ];
  for (const [name, text] of tampered) {
    test(`tampered: ${name}`, () => {
      assert.throws(
        () => box.open(text, 'a'),
        (e: unknown) => isOpenFailure(e) && !(e as Error).message.includes(body),
      );
    });
  }

  test('refuses a master key that is not 32 bytes', () =>
    assert.throws(
      () => createSecretBox(randomBytes(16)),
      (e: unknown) => e instanceof CertError && e.kind === 'invalid_parameter',
    ));
});

describe('withOpenCache', () => {
  const box = createSecretBox(generateMasterKey());
  let opens = 0;
  const counting = { seal: box.seal, open: (s: string, aad: string) => (opens++, box.open(s, aad)) };

  test('opens each sealed value once while it stays among the last N, and hands out copies', () => {
    opens = 0;
    const cached = withOpenCache(counting, 2);
    const a = cached.seal(Buffer.from('alpha'), 'x:1');
    const b = cached.seal(Buffer.from('beta'), 'x:2');
    const c = cached.seal(Buffer.from('gamma'), 'x:3');
    const first = cached.open(a, 'x:1');
    first.fill(0); // a caller scribbling on its copy changes nothing for the next
    assert.equal(cached.open(a, 'x:1').toString(), 'alpha');
    assert.equal(opens, 1);
    cached.open(b, 'x:2');
    cached.open(a, 'x:1'); // a is now the most recently used
    cached.open(c, 'x:3'); // evicts b
    assert.equal(opens, 3);
    cached.open(a, 'x:1');
    assert.equal(opens, 3, 'a was kept');
    assert.equal(cached.open(b, 'x:2').toString(), 'beta');
    assert.equal(opens, 4, 'b was evicted and opened again');
  });

  test('the aad is part of what is remembered: a value opened under one id does not open under another', () => {
    const cached = withOpenCache(counting, 8);
    const a = cached.seal(Buffer.from('alpha'), 'x:1');
    assert.equal(cached.open(a, 'x:1').toString(), 'alpha');
    assert.throws(() => cached.open(a, 'x:2'), isOpenFailure);
  });
});

describe('parseMasterKey', () => {
  const key = generateMasterKey();
  const good: Array<[string, string]> = [
    ['hex', key.toString('hex')],
    ['upper-case hex', key.toString('hex').toUpperCase()],
    ['base64', key.toString('base64')],
    ['base64 without padding', key.toString('base64').replace(/=$/, '')],
    ['base64url', key.toString('base64url')],
    ['with surrounding whitespace', `  ${key.toString('hex')}\n`],
  ];
  for (const [name, text] of good) test(`accepts ${name}`, () => assert.deepEqual(parseMasterKey(text), key));

  const secretLooking = randomBytes(31).toString('hex');
  const bad: Array<[string, string]> = [
    ['31 bytes of hex', secretLooking],
    ['33 bytes of base64', randomBytes(33).toString('base64')],
    ['16 bytes of base64', randomBytes(16).toString('base64')],
    ['63 hex characters', key.toString('hex').slice(1)],
    ['empty', ''],
    ['words', 'correct horse battery staple'],
  ];
  for (const [name, text] of bad) {
    test(`rejects ${name} without echoing it`, () => {
      assert.throws(
        () => parseMasterKey(text),
        (e: unknown) =>
          e instanceof CertError &&
          e.kind === 'invalid_parameter' &&
          (text === '' || !e.message.includes(text.slice(0, 8))),
      );
    });
  }
  test('generateMasterKey returns 32 fresh bytes', () => {
    assert.equal(generateMasterKey().length, 32);
    assert.notDeepEqual(generateMasterKey(), generateMasterKey());
  });
});
