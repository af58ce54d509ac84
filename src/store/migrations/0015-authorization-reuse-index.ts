// 0015: every new ACME order looks for a valid authorization of the same customer and name to
// reuse (BR 4.2.1 / 3.2.2.4 data reuse; store/repos/acme.ts reusableAuthorization). Without an
// index on the name, SQLite's plan was a scan of every authorization ever made (CAS and ACME),
// so each new order cost more than the one before. Name, status and validation time: the
// look-up becomes an index range read, newest first.
import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createIndex('authorizations_domain_status')
    .on('authorizations')
    .columns(['domain', 'status', 'validated_at'])
    .execute();
}
