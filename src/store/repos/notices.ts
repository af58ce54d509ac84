// The notice outbox (src/notices) and the per-account webhook signing secrets. A notice is
// delivered by whoever holds its lease, and only the holder may mark it sent: that
// conditional update is what keeps a second worker or process from sending it again.
import type { Insertable } from 'kysely';
import type { Db, StoreKind } from '../store.js';
import { compiledOnce } from '../compiled-once.js';
import { jsonRecordset } from './json-rows.js';
import type { NoticeRow, NoticesTable } from '../schema.js';

export type NewNotice = Insertable<NoticesTable>;

/** Read by every order event that may notify (compiled-once.ts). */
const webhooksOfAccount = compiledOnce(['accountId'], (db, p: { accountId: number }) =>
  db.selectFrom('contacts').select('webhooks').where('account_id', '=', p.accountId).orderBy('id'),
);

export function noticeRepo(db: Db, kind: StoreKind) {
  /** The row while `owner` still holds its lease and nobody has settled it. */
  const leased = (id: number, owner: string) =>
    db.updateTable('notices').where('id', '=', id).where('lease_owner', '=', owner).where('status', '=', 'pending');

  return {
    /** Inserts the notice unless one with its dedupe key exists; the new id, or undefined for a duplicate. */
    async insertIfNew(row: NewNotice): Promise<number | undefined> {
      const r = await db
        .insertInto('notices')
        .values(row)
        .onConflict((oc) => oc.column('dedupe_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      return r?.id;
    },
    /** insertIfNew for many rows, in statements of up to 500 rows: the ids of the new ones. */
    async insertManyIfNew(rows: readonly NewNotice[]): Promise<number[]> {
      if (rows.length === 0) return [];
      if (kind === 'postgres') {
        // One statement, one parameter (json-rows.ts).
        const { columns, select } = jsonRecordset('notices', rows);
        const r = await db
          .insertInto('notices')
          .columns(columns)
          .expression(select)
          .onConflict((oc) => oc.column('dedupe_key').doNothing())
          .returning('id')
          .execute();
        return r.map((x) => Number(x.id));
      }
      const ids: number[] = [];
      // SQLite binds at most 32,766 parameters per statement; a notice row binds 16.
      for (let i = 0; i < rows.length; i += 500) {
        const r = await db
          .insertInto('notices')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) => oc.column('dedupe_key').doNothing())
          .returning('id')
          .execute();
        for (const x of r) ids.push(Number(x.id));
      }
      return ids;
    },
    async get(id: number): Promise<NoticeRow | undefined> {
      return db.selectFrom('notices').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async list(q: { accountId?: number; orderId?: number; certificateId?: number }): Promise<NoticeRow[]> {
      return db
        .selectFrom('notices')
        .selectAll()
        .$if(q.accountId !== undefined, (b) => b.where('account_id', '=', q.accountId!))
        .$if(q.orderId !== undefined, (b) => b.where('order_id', '=', q.orderId!))
        .$if(q.certificateId !== undefined, (b) => b.where('certificate_id', '=', q.certificateId!))
        .orderBy('id')
        .execute();
    },
    /** The account's latest notices on one channel, newest first. */
    async recent(accountId: number, channel: string, limit: number): Promise<NoticeRow[]> {
      return db
        .selectFrom('notices')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('channel', '=', channel)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },
    /** Takes the lease of a pending notice whose lease is free or expired; undefined when another holds it or it is settled. */
    async claim(id: number, owner: string, now: number, leaseMs: number): Promise<NoticeRow | undefined> {
      return db
        .updateTable('notices')
        .set({ lease_owner: owner, lease_until: now + leaseMs })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returningAll()
        .executeTakeFirst();
    },
    /** pending -> sent, only by the lease holder. False: the lease was lost (another worker took the notice over). */
    async markSent(id: number, owner: string, now: number): Promise<boolean> {
      const r = await leased(id, owner)
        .set((eb) => ({
          status: 'sent',
          sent_at: now,
          attempts: eb('attempts', '+', 1),
          lease_owner: null,
          lease_until: null,
        }))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /** pending -> failed (gave up) or skipped (no longer worth sending), only by the lease holder. */
    async settle(id: number, owner: string, status: 'failed' | 'skipped', error: string | null): Promise<boolean> {
      const r = await leased(id, owner)
        .set({ status, last_error: error, lease_owner: null, lease_until: null })
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /** A failed attempt: counted, its error kept, the lease given back for the next attempt. */
    async recordFailure(id: number, owner: string, error: string): Promise<void> {
      await leased(id, owner)
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error, lease_owner: null, lease_until: null }))
        .execute();
    },
    /** Gives the lease back without an attempt (nothing was sent). */
    async release(id: number, owner: string): Promise<void> {
      await leased(id, owner).set({ lease_owner: null, lease_until: null }).execute();
    },
    /** The Webhooks JSON of each contact of the account (ContactsTable.webhooks). */
    async contactWebhooks(accountId: number): Promise<string[]> {
      return (await webhooksOfAccount(db, { accountId })).rows.map((r) => r.webhooks);
    },
    async webhookSecret(accountId: number): Promise<string | undefined> {
      const r = await db
        .selectFrom('webhook_secrets')
        .select('secret_sealed')
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return r?.secret_sealed;
    },
    /** Stores the account's secret unless one exists (two first uses at once keep one). */
    async insertWebhookSecret(accountId: number, sealed: string, now: number): Promise<void> {
      await db
        .insertInto('webhook_secrets')
        .values({ account_id: accountId, secret_sealed: sealed, created_at: now })
        .onConflict((oc) => oc.column('account_id').doNothing())
        .execute();
    },
  };
}
