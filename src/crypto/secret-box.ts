// Sealing secrets at rest (AccessKey secrets, CA private keys) under one master key.
// AES-256-GCM (NIST SP 800-38D) with a fresh random 96-bit IV per value, and the caller's
// `aad` (the owner's id) bound as additional authenticated data, so a sealed value copied
// to another row does not open. The AES key is derived from the master key with HKDF
// (RFC 5869) under a purpose label, so the master key itself never keys a cipher directly
// and other purposes can derive their own independent subkeys later.
//
// Format: `v1.<base64url IV>.<base64url ciphertext || 16-byte tag>`.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { CertError } from '../domain/errors.js';
import type { SecretSealer } from '../domain/ports.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const HKDF_INFO = 'certdesk secret-box v1 aes-256-gcm';

const OPEN_FAILED = 'sealed value cannot be opened (wrong master key or tampered)';

export function createSecretBox(masterKey: Buffer): SecretSealer {
  if (!Buffer.isBuffer(masterKey) || masterKey.length !== KEY_BYTES) {
    throw new CertError('invalid_parameter', 'master key must be 32 bytes');
  }
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), HKDF_INFO, KEY_BYTES));

  return {
    seal(plain: Buffer, aad: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },

    open(sealed: string, aad: string): Buffer {
      try {
        const parts = sealed.split('.');
        if (parts.length !== 3 || parts[0] !== VERSION) throw new Error('format');
        const iv = decodeBase64url(parts[1] as string);
        const body = decodeBase64url(parts[2] as string);
        if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error('format');
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
      } catch {
        // One message for every failure: which check failed is of use only to an attacker,
        // and the sealed text must not reach logs or clients.
        throw new CertError('internal', OPEN_FAILED);
      }
    },
  };
}

function decodeBase64url(s: string): Buffer {
  // Buffer.from(…, 'base64url') skips invalid characters silently; insist on a canonical form.
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('format');
  const out = Buffer.from(s, 'base64url');
  if (out.toString('base64url') !== s) throw new Error('format');
  return out;
}

export function generateMasterKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Accepts 64 hex characters or base64/base64url of exactly 32 bytes. The error never echoes the input. */
export function parseMasterKey(text: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replace(/=$/, ''), t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
    // 43 characters carry 258 bits: the last character's low 2 bits must be zero to be canonical.
    if (
      b.length === KEY_BYTES &&
      b.toString('base64url') === t.replace(/=$/, '').replace(/\+/g, '-').replace(/\//g, '_')
    )
      return b;
  }
  throw new CertError('invalid_parameter', 'master key must be 64 hex characters or the base64 encoding of 32 bytes');
}

/**
 * Remembers the last `maxEntries` opened values (least recently used dropped first), so a
 * value read on every request (the key of an issued order, which DescribeCertificateState
 * returns each time it is asked) is decrypted once, not each time. This keeps nothing an
 * attacker with the process's memory would not have anyway: that memory holds the master key.
 * Callers get a copy, so one cannot change what the next one reads.
 */
export function withOpenCache(sealer: SecretSealer, maxEntries: number): SecretSealer {
  // Keyed by the sealed text alone, which carries a random IV and so names one sealing; the
  // aad it was opened with must match too (another aad is another, failing, open).
  const opened = new Map<string, { aad: string; plain: Buffer }>();
  return {
    seal: (plain, aad) => sealer.seal(plain, aad),
    open(sealed, aad) {
      let entry = opened.get(sealed);
      if (entry && entry.aad === aad) {
        opened.delete(sealed); // re-inserted below: now the most recently used
      } else {
        entry = { aad, plain: sealer.open(sealed, aad) };
        if (opened.size >= maxEntries && !opened.has(sealed)) opened.delete(opened.keys().next().value!);
      }
      opened.set(sealed, entry);
      return Buffer.from(entry.plain);
    },
  };
}
