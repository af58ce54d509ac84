// 0003: each certificate records the CRL partition it names in its CRL distribution point
// (partitioned CRLs, "each certificate naming its own partition").
import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('certificates').addColumn('crl_shard', 'integer').execute();
  await db.schema.createIndex('certificates_revoked').on('certificates').columns(['issuer_id', 'revoked_at']).execute();
}
