// The web console's sessions and one-time sign-in links (migration 0011). Keys are digests
// of the tokens; the tokens themselves never reach the store.
import type { Db } from '../store.js';
import type { ConsoleLinkRow, ConsoleSessionRow } from '../schema.js';

export function consoleSessionRepo(db: Db) {
  return {
    async insertSession(row: ConsoleSessionRow): Promise<void> {
      await db.insertInto('console_sessions').values(row).execute();
    },
    /** The session, while it has not expired. */
    async getSession(id: string, now: number): Promise<ConsoleSessionRow | undefined> {
      return db
        .selectFrom('console_sessions')
        .selectAll()
        .where('id', '=', id)
        .where('expires_at', '>', now)
        .executeTakeFirst();
    },
    async deleteSession(id: string): Promise<void> {
      await db.deleteFrom('console_sessions').where('id', '=', id).execute();
    },
    async insertLink(row: ConsoleLinkRow): Promise<void> {
      await db.insertInto('console_links').values(row).execute();
    },
    /**
     * Marks a link used and returns it, in one statement: of two requests racing with the
     * same link, one signs in. An expired or used link returns undefined.
     */
    async consumeLink(id: string, now: number): Promise<ConsoleLinkRow | undefined> {
      return db
        .updateTable('console_links')
        .set({ used_at: now })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
    },
    /** Forgets expired sessions and links. */
    async purgeExpired(now: number): Promise<number> {
      const a = await db.deleteFrom('console_sessions').where('expires_at', '<=', now).executeTakeFirst();
      const b = await db.deleteFrom('console_links').where('expires_at', '<=', now).executeTakeFirst();
      return Number(a.numDeletedRows) + Number(b.numDeletedRows);
    },
  };
}
