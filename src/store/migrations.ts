// Schema migrations, applied on start by every process (Kysely's Migrator takes a lock
// table, and on PostgreSQL an advisory lock, so concurrent starts apply each step once).
// Append new steps; never edit one that has shipped.
import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { StoreKind } from './store.js';

type Db = Kysely<unknown>;

function idColumn(kind: StoreKind): 'integer' | 'bigserial' {
  return kind === 'postgres' ? 'bigserial' : 'integer';
}

function steps(kind: StoreKind): Record<string, Migration> {
  const id = idColumn(kind);
  return {
    '0001_platform': {
      async up(db: Db) {
        await db.schema
          .createTable('accounts')
          .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('access_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
          .addColumn('secret_sealed', 'text', (c) => c.notNull())
          .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('policy', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('access_keys_account').on('access_keys').column('account_id').execute();
        // Nonces are remembered in the store, not in memory, so that a nonce cannot be
        // replayed against a second process sharing the database (issue 2, item 4).
        await db.schema
          .createTable('request_nonces')
          .addColumn('access_key_id', 'text', (c) => c.notNull())
          .addColumn('nonce', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('request_nonces_pk', ['access_key_id', 'nonce'])
          .execute();
        await db.schema.createIndex('request_nonces_expiry').on('request_nonces').column('expires_at').execute();
        await db.schema
          .createTable('plans')
          .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
          .addColumn('product_code', 'text', (c) => c.notNull())
          .addColumn('total_count', 'integer', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('plans_account_product').on('plans').columns(['account_id', 'product_code']).execute();
        await db.schema
          .createTable('contacts')
          .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('mobile', 'text', (c) => c.notNull())
          .addColumn('webhooks', 'text', (c) => c.notNull())
          .addColumn('email_status', 'integer', (c) => c.notNull())
          .addColumn('mobile_status', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('contacts_account').on('contacts').columns(['account_id', 'id']).execute();
        await db.schema
          .createTable('companies')
          .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('country', 'text', (c) => c.notNull())
          .addColumn('province', 'text', (c) => c.notNull())
          .addColumn('city', 'text', (c) => c.notNull())
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('phone', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('companies_account').on('companies').columns(['account_id', 'id']).execute();
        await db.schema
          .createTable('issuers')
          .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('algorithm', 'text', (c) => c.notNull())
          .addColumn('cert_der', 'text', (c) => c.notNull())
          .addColumn('key_sealed', 'text', (c) => c.notNull())
          .addColumn('parent_id', 'bigint')
          .addColumn('active', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('meta')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0002_orders': {
      async up(db: Db) {
        const pk = (c: any) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey());
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
          // UNIQUE: the database itself refuses a second certificate for one order (issue 3, Issuance).
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
        await db.schema.createIndex('certificates_issuer_serial').on('certificates').columns(['issuer_id', 'serial']).unique().execute();
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
      },
    },
  };
}

class CodeMigrations implements MigrationProvider {
  constructor(private readonly kind: StoreKind) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return steps(this.kind);
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
