// 0004: published CRLs (BR 4.9, 4.10, 7.2; RFC 5280, RFC 6960). `crls` keeps the latest CRL per issuer and
// scope (partition -1: the full CRL), served as stored; `crl_counters` hands out CRL numbers
// (RFC 5280 §5.2.3: monotonic per issuer, across restarts and processes) and counts the
// revocations of the issuer, so a publication knows whether one arrived while it ran.
import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, { kind }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('crls')
    .addColumn('issuer_id', 'bigint', (c) => c.notNull().references('issuers.id'))
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('crl_number', 'bigint', (c) => c.notNull())
    .addColumn('this_update', 'bigint', (c) => c.notNull())
    .addColumn('next_update', 'bigint', (c) => c.notNull())
    // Raw DER: a CRL of a million entries is tens of MB, a third more as base64 text.
    .addColumn('der', kind === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('crls_pk', ['issuer_id', 'partition'])
    .execute();
  await db.schema
    .createTable('crl_counters')
    .addColumn('issuer_id', 'bigint', (c) => c.primaryKey().references('issuers.id'))
    .addColumn('last_number', 'bigint', (c) => c.notNull())
    .addColumn('revision', 'bigint', (c) => c.notNull())
    .execute();
}
