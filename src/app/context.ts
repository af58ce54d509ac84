// The composition root: builds everything from config. The only place (with cli/) that
// reads the environment and opens files; everything below receives what it needs.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { AccountDeps } from '../accounts/deps.js';
import type { Config } from '../config/schema.js';
import { systemClock, type Clock, type Logger, type RandomSource, type SecretSealer } from '../domain/ports.js';
import type { Actor } from '../domain/audit.js';
import { Store, type StoreLocation } from '../store/store.js';
import { bindMasterKey, openSealer } from './secrets.js';
import { withOpenCache } from '../crypto/secret-box.js';
import { pooledRandom } from '../crypto/random-pool.js';
import { createPrivateFile, prepareDataDir } from './data-dir.js';

/** Opened secrets kept in memory: the orders busy clients poll; about 1 MB for P-256 keys, 12 MB for RSA-4096. */
const OPENED_SECRETS_KEPT = 4096;

export interface AppContext {
  config: Readonly<Config>;
  store: Store;
  sealer: SecretSealer;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  accounts: AccountDeps;
  env: NodeJS.ProcessEnv;
}

export const systemRandom: RandomSource = pooledRandom();

export function storeLocation(config: Readonly<Config>, env: NodeJS.ProcessEnv): StoreLocation {
  if (config.databaseUrl) {
    // CERTDESK_PG_SCHEMA lets test suites share one database, each in its own schema.
    const schema = env.CERTDESK_PG_SCHEMA;
    return { kind: 'postgres', target: config.databaseUrl, postgres: schema ? { schema } : {} };
  }
  prepareDataDir(config.dataDir);
  const target = join(config.dataDir, 'certdesk.db');
  createPrivateFile(target);
  return { kind: 'sqlite', target };
}

export async function openContext(opts: {
  config: Readonly<Config>;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  clock?: Clock;
  random?: RandomSource;
  /** Whom the store's audit entries name (default: certdesk itself; `certdesk admin`: the operator). */
  actor?: Actor;
}): Promise<AppContext> {
  // Existing installations get the private modes too (src/app/data-dir.ts).
  if (existsSync(opts.config.dataDir)) prepareDataDir(opts.config.dataDir);
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? systemRandom;
  // Opened values are kept for requests that read the same sealed value again (secret-box.ts).
  const sealer = withOpenCache(openSealer(opts.config.dataDir, opts.env), OPENED_SECRETS_KEPT);
  const store = await Store.open(storeLocation(opts.config, opts.env), opts.actor ? { actor: opts.actor } : {});
  try {
    await bindMasterKey(store, sealer);
  } catch (e) {
    await store.close();
    throw e;
  }
  return {
    config: opts.config,
    store,
    sealer,
    clock,
    random,
    logger: opts.logger,
    env: opts.env,
    accounts: { store, clock, random, sealer },
  };
}
