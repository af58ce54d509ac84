import type { Db } from '../store.js';
import { compiledOnce } from '../compiled-once.js';
import type { ContactRow, NewContact } from '../schema.js';
import { containsText } from './like.js';

/** Read by every submission (compiled-once.ts). */
const latestContact = compiledOnce(['accountId'], (db, p: { accountId: number }) =>
  db.selectFrom('contacts').selectAll().where('account_id', '=', p.accountId).orderBy('id', 'desc').limit(1),
);

export function contactRepo(db: Db) {
  return {
    async add(c: NewContact): Promise<ContactRow> {
      return db.insertInto('contacts').values(c).returningAll().executeTakeFirstOrThrow();
    },
    /** Keyword matches name, email or mobile (CAS API reference, contact actions), case-insensitively. */
    async page(
      accountId: number,
      q: { keyword?: string; offset: number; limit: number },
    ): Promise<{ total: number; rows: ContactRow[] }> {
      let base = db.selectFrom('contacts').where('account_id', '=', accountId);
      if (q.keyword) {
        const kw = q.keyword;
        base = base.where((eb) =>
          eb.or([
            containsText(eb.ref('name'), kw),
            containsText(eb.ref('email'), kw),
            containsText(eb.ref('mobile'), kw),
          ]),
        );
      }
      const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await base.selectAll().orderBy('id', 'desc').offset(q.offset).limit(q.limit).execute();
      return { total: Number(n), rows };
    },
    /** The most recently added contact: the CAS API reference's fallback when an application omits its contact. */
    async latest(accountId: number): Promise<ContactRow | undefined> {
      return (await latestContact(db, { accountId })).rows[0];
    },
    /** Changes a contact of the account; undefined when it has no such contact. */
    async update(
      accountId: number,
      id: number,
      f: Pick<NewContact, 'name' | 'email' | 'mobile' | 'webhooks'>,
    ): Promise<ContactRow | undefined> {
      return db
        .updateTable('contacts')
        .set(f)
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
    async remove(accountId: number, id: number): Promise<boolean> {
      const r = await db
        .deleteFrom('contacts')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
