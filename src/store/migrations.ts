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
import * as m0008 from './migrations/0008-acme.js';
import * as m0009 from './migrations/0009-audit.js';
import * as m0011 from './migrations/0011-console.js';
import * as m0013 from './migrations/0013-acme-replaces.js';
import * as m0014 from './migrations/0014-order-validity-hours.js';
import * as m0015 from './migrations/0015-authorization-reuse-index.js';
import * as m0016 from './migrations/0016-plan-used-count.js';

type Step = { up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> };

const STEPS: ReadonlyArray<[string, Step]> = [
  ['0001_platform', m0001],
  ['0002_orders', m0002],
  ['0003_crl_partition', m0003],
  ['0004_crls', m0004],
  ['0005_ocsp', m0005],
  ['0006_notices', m0006],
  ['0007_rate_limits', m0007],
  ['0008_acme', m0008],
  ['0009_audit', m0009],
  ['0011_console', m0011],
  ['0013_acme_replaces', m0013],
  ['0014_order_validity_hours', m0014],
  ['0015_authorization_reuse_index', m0015],
  ['0016_plan_used_count', m0016],
];

class CodeMigrations implements MigrationProvider {
  constructor(private readonly kind: StoreKind) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(
      STEPS.map(([name, step]) => [name, { up: (db: Kysely<any>) => step.up(db, { kind: this.kind }) }]),
    );
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
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (!error && !failed) return;
    // Before it migrates, Kysely lists the tables of every schema in the database (with
    // pg_get_serial_sequence per column); a schema dropped meanwhile by another installation
    // sharing the database (test suites drop theirs) fails that query with "does not exist".
    // Nothing was migrated then (the steps run in one transaction, after it): try again.
    const transient =
      kind === 'postgres' &&
      !failed &&
      error instanceof Error &&
      /does not exist|cache lookup failed/.test(error.message);
    if (transient && attempt < 10) {
      await new Promise((r) => setTimeout(r, 50 * attempt));
      continue;
    }
    // The cause's message says what the database refused; it carries no secrets (DDL only).
    const why = error instanceof Error ? `: ${error.message}` : '';
    throw new Error(`database migration ${failed?.migrationName ?? '(setup)'} failed${why}`, { cause: error });
  }
}
