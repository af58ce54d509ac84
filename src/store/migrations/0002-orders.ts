// 0002: orders, authorizations, certificates, jobs, CSRs.
import type { Kysely } from 'kysely';
import { idColumn, primaryKey, type MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, { kind }: MigrationContext): Promise<void> {
  const id = idColumn(kind);
  const pk = primaryKey(kind);
  await db.schema
    .createTable('orders')
    .addColumn('id', id, pk)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('plan_id', 'bigint', (c) => c.notNull().references('plans.id'))
    .addColumn('product_code', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('domains', 'text', (c) => c.notNull())
    .addColumn('validate_type', 'text', (c) => c.notNull())
    .addColumn('key_algorithm', 'text', (c) => c.notNull())
    .addColumn('spki', 'text', (c) => c.notNull())
    .addColumn('csr_der', 'text')
    .addColumn('key_sealed', 'text')
    .addColumn('contact_name', 'text', (c) => c.notNull())
    .addColumn('contact_phone', 'text', (c) => c.notNull())
    .addColumn('contact_email', 'text', (c) => c.notNull())
    .addColumn('company_id', 'bigint')
    .addColumn('company', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('fail_reason', 'text')
    .addColumn('approved_at', 'bigint')
    .addColumn('validation_deadline', 'bigint', (c) => c.notNull())
    .addColumn('caa_checked_at', 'bigint')
    .addColumn('renewed_from', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  await db.schema.createIndex('orders_account').on('orders').columns(['account_id', 'id']).execute();
  await db.schema.createIndex('orders_plan').on('orders').columns(['plan_id']).execute();
  await db.schema
    .createTable('authorizations')
    .addColumn('id', id, pk)
    .addColumn('order_id', 'bigint', (c) => c.notNull().references('orders.id'))
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('validated_at', 'bigint')
    .execute();
  await db.schema.createIndex('authorizations_order').on('authorizations').columns(['order_id']).execute();
  await db.schema
    .createTable('certificates')
    .addColumn('id', id, pk)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    // UNIQUE: the database itself refuses a second certificate for one order.
    .addColumn('order_id', 'bigint', (c) => c.unique().references('orders.id'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('issuer_id', 'bigint')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('tbs_der', 'text')
    .addColumn('cert_der', 'text')
    .addColumn('chain_pem', 'text')
    .addColumn('key_sealed', 'text')
    .addColumn('common_name', 'text', (c) => c.notNull())
    .addColumn('sans', 'text', (c) => c.notNull())
    .addColumn('issuer_cn', 'text', (c) => c.notNull())
    .addColumn('not_before', 'bigint', (c) => c.notNull())
    .addColumn('not_after', 'bigint', (c) => c.notNull())
    .addColumn('sha1', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('org_name', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('province', 'text', (c) => c.notNull())
    .addColumn('city', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revocation_reason', 'integer')
    .addColumn('deleted_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // Serials are unique per certdesk issuer (uploads carry another CA's serials: issuer_id null).
  await db.schema
    .createIndex('certificates_issuer_serial')
    .on('certificates')
    .columns(['issuer_id', 'serial'])
    .unique()
    .execute();
  await db.schema.createIndex('certificates_account').on('certificates').columns(['account_id', 'id']).execute();
  await db.schema
    .createTable('jobs')
    .addColumn('id', id, pk)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ref_id', 'bigint', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_kind_ref').on('jobs').columns(['kind', 'ref_id']).unique().execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['run_at']).execute();
  await db.schema
    .createTable('csrs')
    .addColumn('id', id, pk)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('common_name', 'text', (c) => c.notNull())
    .addColumn('sans', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('key_size', 'integer', (c) => c.notNull())
    .addColumn('csr_der', 'text', (c) => c.notNull())
    .addColumn('key_sealed', 'text')
    .addColumn('key_sha2', 'text', (c) => c.notNull())
    .addColumn('corp_name', 'text', (c) => c.notNull())
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('country_code', 'text', (c) => c.notNull())
    .addColumn('province', 'text', (c) => c.notNull())
    .addColumn('locality', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('csrs_account').on('csrs').columns(['account_id', 'id']).execute();
}
