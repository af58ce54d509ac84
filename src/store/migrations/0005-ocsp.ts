// 0005: pre-signed OCSP responses (RFC 6960, RFC 5019; BR 4.9, 4.10, 7.2). One row
// per certificate of a certdesk issuer: the latest OCSPResponse signed for it, served as
// stored, re-signed before next_update by the refresh job (src/status/ocsp-responses.ts).
import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, { kind }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('ocsp_responses')
    .addColumn('issuer_id', 'bigint', (c) => c.notNull())
    .addColumn('serial', 'text', (c) => c.notNull())
    // Raw DER, served byte for byte (no base64 decoding on the serving path).
    .addColumn('der', kind === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('this_update', 'bigint', (c) => c.notNull())
    .addColumn('next_update', 'bigint', (c) => c.notNull())
    // The revocation time the response states (null: it says good). Compared with the
    // certificate's own revoked_at, it tells a response that predates a revocation.
    .addColumn('revoked_at', 'bigint')
    .addPrimaryKeyConstraint('ocsp_responses_pk', ['issuer_id', 'serial'])
    .execute();
}
