// 0001: accounts, AccessKeys, nonces, plans, contacts, companies, issuers, meta.
import type { Kysely } from 'kysely';
import { idColumn, primaryKey, type MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, { kind }: MigrationContext): Promise<void> {
  const id = idColumn(kind);
  const pk = primaryKey(kind);
  await db.schema
    .createTable('accounts')
    .addColumn('id', id, pk)
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
  // replayed against a second process sharing the database.
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
    .addColumn('id', id, pk)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('product_code', 'text', (c) => c.notNull())
    .addColumn('total_count', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('plans_account_product').on('plans').columns(['account_id', 'product_code']).execute();
  await db.schema
    .createTable('contacts')
    .addColumn('id', id, pk)
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
    .addColumn('id', id, pk)
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
    .addColumn('id', id, pk)
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
}
