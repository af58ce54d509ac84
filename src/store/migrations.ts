// Schema migrations, applied on start by every process (Kysely's Migrator takes a lock
// table, and on PostgreSQL an advisory lock, so concurrent starts apply each step once).
// One file per step in migrations/; append new steps, never edit one that has shipped.
import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { StoreKind } from './store.js';
import type { MigrationContext } from './migrations/context.js';
import * as m0001 from './migrations/0001-platform.js';
import * as m0002 from './migrations/0002-orders.js';
import * as m0003 from './migrations/0003-crl-partition.js';
import * as m0004 from './migrations/0004-crls.js';
import * as m0005 from './migrations/0005-ocsp.js';
import * as m0006 from './migrations/0006-notices.js';
import * as m0007 from './migrations/0007-rate-limits.js';

type Step = { up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> };

const STEPS: ReadonlyArray<[string, Step]> = [
  ['0001_platform', m0001],
  ['0002_orders', m0002],
  ['0003_crl_partition', m0003],
  ['0004_crls', m0004],
  ['0005_ocsp', m0005],
  ['0006_notices', m0006],
  ['0007_rate_limits', m0007],
];

class CodeMigrations implements MigrationProvider {
  constructor(private readonly kind: StoreKind) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(STEPS.map(([name, step]) => [name, { up: (db: Kysely<any>) => step.up(db, { kind: this.kind }) }]));
  }
}

export async function migrateToLatest(db: Kysely<any>, kind: StoreKind, pgSchema?: string): Promise<void> {
  // Kysely looks for its bookkeeping tables in every schema it can see; name ours, or
  // another schema's tables (another installation, another test run) would be taken for them.
  const migrator = new Migrator({
    db,
    provider: new CodeMigrations(kind),
    ...(kind === 'postgres' ? { migrationTableSchema: pgSchema ?? 'public' } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
}
