// The master key seals AccessKey secrets and private keys at rest. It
// comes from CERTDESK_MASTER_KEY or from <data-dir>/master.key, generated on first start
// with mode 0600. Every process sharing one database must use the same key: a check value
// in the store catches a mismatch at start instead of at the first failing request.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createSecretBox, generateMasterKey, parseMasterKey } from '../crypto/secret-box.js';
import type { SecretSealer } from '../domain/ports.js';
import type { Store } from '../store/store.js';
import { prepareDataDir } from './data-dir.js';

const CHECK_KEY = 'master_key_check';
const CHECK_AAD = 'certdesk-master-key-check';
const CHECK_PLAIN = Buffer.from('certdesk master key check v1');

export function loadMasterKey(dataDir: string, env: NodeJS.ProcessEnv): Buffer {
  const fromEnv = env.CERTDESK_MASTER_KEY;
  if (fromEnv) return parseMasterKey(fromEnv);
  const file = join(dataDir, 'master.key');
  if (!existsSync(file)) {
    prepareDataDir(dataDir);
    try {
      // 'wx': a second process starting at the same moment must not overwrite the first's key.
      writeFileSync(file, `${generateMasterKey().toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return parseMasterKey(readFileSync(file, 'utf8').trim());
}

/** Makes sure the store was sealed under this master key (first start records a check value). */
export async function bindMasterKey(store: Store, sealer: SecretSealer): Promise<void> {
  const stored = await store.repos.meta.setIfAbsent(CHECK_KEY, sealer.seal(CHECK_PLAIN, CHECK_AAD));
  let opened: Buffer;
  try {
    opened = sealer.open(stored, CHECK_AAD);
  } catch {
    throw new Error('the master key does not match this database (check CERTDESK_MASTER_KEY or <data-dir>/master.key)');
  }
  if (opened.length !== CHECK_PLAIN.length || !timingSafeEqual(opened, CHECK_PLAIN)) {
    throw new Error('the master key does not match this database');
  }
}

export function openSealer(dataDir: string, env: NodeJS.ProcessEnv): SecretSealer {
  return createSecretBox(loadMasterKey(dataDir, env));
}

/** The operator API's bearer token: CERTDESK_ADMIN_TOKEN or <data-dir>/admin-token (0600). */
export function loadAdminToken(dataDir: string, env: NodeJS.ProcessEnv): string {
  if (env.CERTDESK_ADMIN_TOKEN) return env.CERTDESK_ADMIN_TOKEN;
  const file = join(dataDir, 'admin-token');
  if (!existsSync(file)) {
    prepareDataDir(dataDir);
    try {
      writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return readFileSync(file, 'utf8').trim();
}
