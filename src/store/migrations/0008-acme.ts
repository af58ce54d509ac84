// 0008: ACME (RFC 8555) on the order engine. An ACME order IS a certdesk order (orders row,
// one plan unit); these tables hold only what the ACME protocol adds: accounts keyed by their
// JWK thumbprint (RFC 7638) and bound by EAB to a customer and a product (RFC 8555 §7.3.4),
// the EAB credentials, the anti-replay nonces (§6.5), and the random URL tokens of orders,
// authorizations and challenges (object IDs in URLs are never row numbers).
import { sql, type Kysely } from 'kysely';
import { idColumn, primaryKey, type MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, { kind }: MigrationContext): Promise<void> {
  const id = idColumn(kind);
  const pk = primaryKey(kind);
  await db.schema
    .createTable('acme_eab_keys')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('product_code', 'text', (c) => c.notNull())
    // The MAC key, sealed under the master key (aad = 'acme-eab:' + key_id); shown once at creation.
    .addColumn('hmac_sealed', 'text', (c) => c.notNull())
    .addColumn('max_accounts', 'integer', (c) => c.notNull())
    .addColumn('used_accounts', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('acme_accounts')
    .addColumn('id', id, pk)
    .addColumn('url_id', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('product_code', 'text', (c) => c.notNull())
    .addColumn('eab_key_id', 'text')
    .addColumn('jwk', 'text', (c) => c.notNull())
    // One account per key (RFC 8555 §7.3: newAccount with a known key returns that account).
    .addColumn('thumbprint', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('contact', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // Redeemed by DELETE ... RETURNING: of two processes replaying one nonce, one deletes the row.
  let nonces = db.schema
    .createTable('acme_nonces')
    .addColumn('nonce', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull());
  // Losing unspent nonces in a crash only costs clients one badNonce retry (RFC 8555 §6.5).
  nonces = kind === 'postgres' ? nonces.modifyFront(sql`unlogged`) : nonces.modifyEnd(sql`without rowid`);
  await nonces.execute();
  await db.schema.createIndex('acme_nonces_expiry').on('acme_nonces').columns(['expires_at']).execute();
  await db.schema
    .createTable('acme_orders')
    .addColumn('id', id, pk)
    .addColumn('url_id', 'text', (c) => c.notNull().unique())
    .addColumn('order_id', 'bigint', (c) => c.notNull().unique().references('orders.id'))
    .addColumn('acme_account_id', 'bigint', (c) => c.notNull().references('acme_accounts.id'))
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('replaces', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    // JSON problem document when the order ended invalid (RFC 8555 §7.1.3 "error").
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('acme_orders_account').on('acme_orders').columns(['acme_account_id', 'id']).execute();
  await db.schema
    .createTable('acme_authorizations')
    .addColumn('id', id, pk)
    .addColumn('url_id', 'text', (c) => c.notNull().unique())
    .addColumn('authorization_id', 'bigint', (c) => c.notNull().unique().references('authorizations.id'))
    .addColumn('acme_account_id', 'bigint', (c) => c.notNull().references('acme_accounts.id'))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('deactivated_at', 'bigint')
    .execute();
  await db.schema
    .createTable('acme_challenges')
    .addColumn('id', id, pk)
    .addColumn('url_id', 'text', (c) => c.notNull().unique())
    .addColumn('acme_authorization_id', 'bigint', (c) => c.notNull().references('acme_authorizations.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('validated_at', 'bigint')
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('acme_challenges_authz')
    .on('acme_challenges')
    .columns(['acme_authorization_id'])
    .execute();
}
