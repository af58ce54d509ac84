// The audit trail (domain/audit.ts): append and list, nothing else; the table's triggers
// refuse UPDATE and DELETE (migration 0009). Writers call `append` inside the transaction of
// the change, so the record commits or rolls back with it.
import type { Db, StoreKind } from '../store.js';
import { jsonRecordset } from './json-rows.js';
import { type Actor, type AuditEvent, type AuditFilter, type AuditRecord } from '../../domain/audit.js';
import { auditEventFromRow, auditEventToRow } from '../mappers.js';
import { compiledOnce } from '../compiled-once.js';

type AuditEventValues = ReturnType<typeof auditEventToRow>;

/** One entry: several per order, in every transaction of its way. */
const insertAuditEvent = compiledOnce(
  ['at', 'kind', 'actor_kind', 'actor_id', 'remote_address', 'account_id', 'order_id', 'certificate_id', 'detail'],
  (db, row: AuditEventValues) => db.insertInto('audit_events').values(row),
);

/** Entries returned by one list at most. */
export const MAX_AUDIT_PAGE = 10_000;

/** `actor`: whom the entries name unless a call says otherwise (the store's actor: Store.actingAs). */
export function auditRepo(db: Db, kind: StoreKind, actor: Actor) {
  const actingActor = actor;
  return {
    /** Records `e` as done by `actor` (default: the actor the store acts for) at `at`. */
    async append(e: AuditRecord, at: number, actor: Actor = actingActor): Promise<void> {
      await insertAuditEvent(db, auditEventToRow(e, actor, at));
    },
    /** Records many entries at once (a mass revocation's batch), in chunks that stay under SQLite's bound-parameter limit. */
    async appendMany(es: readonly AuditRecord[], at: number, actor: Actor = actingActor): Promise<void> {
      if (es.length === 0) return;
      if (kind === 'postgres') {
        // One statement, one parameter (json-rows.ts).
        const { columns, select } = jsonRecordset(
          'audit_events',
          es.map((e) => auditEventToRow(e, actor, at)),
        );
        await db.insertInto('audit_events').columns(columns).expression(select).execute();
        return;
      }
      for (let i = 0; i < es.length; i += 500) {
        await db
          .insertInto('audit_events')
          .values(es.slice(i, i + 500).map((e) => auditEventToRow(e, actor, at)))
          .execute();
      }
    },
    /** Newest first. */
    async list(f: AuditFilter = {}): Promise<AuditEvent[]> {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        .$if(f.accountId !== undefined, (q) => q.where('account_id', '=', f.accountId!))
        .$if(f.orderId !== undefined, (q) => q.where('order_id', '=', f.orderId!))
        .$if(f.since !== undefined, (q) => q.where('at', '>=', f.since!))
        .$if(f.until !== undefined, (q) => q.where('at', '<=', f.until!))
        .$if(f.kind !== undefined, (q) => q.where('kind', '=', f.kind!))
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.min(f.limit ?? MAX_AUDIT_PAGE, MAX_AUDIT_PAGE))
        .execute();
      return rows.map(auditEventFromRow);
    },
  };
}
