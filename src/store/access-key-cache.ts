// AccessKey rows for authentication, cached in the process (the key lookup was one
// of five store round trips per API request). A row is served from memory only while this
// process hears every change: on PostgreSQL each change of a key (enable, disable, delete)
// sends a NOTIFY in the same statement, and every process LISTENs (postgres/listener.ts);
// while that connection is down, nothing is cached. `ttlMs` bounds how long a row is trusted
// even so, for a change that reached the database some other way (a hand-written UPDATE).
// The same holds in AWS IAM and Alibaba RAM, where a disabled key stops working within
// seconds, not at once; here it is normally milliseconds, 10 s at worst.
// On SQLite there is no NOTIFY, but the file says whether anybody else wrote to it: `version`
// (PRAGMA data_version) changes with every commit of another connection, so a row is served
// from memory only while nobody but this process, which forgets the keys it changes itself,
// has committed since it was read. Each lookup still asks that (a prepared pragma, a few
// microseconds, instead of a query through Kysely: 3 of an order's statements). A second
// process writing the same file all the time only makes every lookup a read again.
import type { AccessKeyRow } from './schema.js';

export const ACCESS_KEY_CACHE_TTL_MS = 10_000;

export class AccessKeyCache {
  private readonly rows = new Map<string, { row: AccessKeyRow; until: number }>();
  /** Bumped on every invalidation: a lookup that raced one must not store its (older) row. */
  private generation = 0;
  private live = false;
  private started = false;
  /** The store's version when the rows were read (SQLite's data_version). */
  private seenVersion: number | undefined;

  /**
   * `startFeed` is called at the first lookup (so that short-lived commands, which never
   * authenticate a request, open no listening connection); it reports through setLive.
   */
  constructor(
    private readonly startFeed: () => void,
    private readonly ttlMs: number = ACCESS_KEY_CACHE_TTL_MS,
    private readonly now: () => number = () => performance.now(),
    /** Where given: the rows are dropped whenever it changes (another connection committed). */
    private readonly version?: () => number,
  ) {}

  async get(id: string, load: (id: string) => Promise<AccessKeyRow | undefined>): Promise<AccessKeyRow | undefined> {
    if (!this.started) {
      this.started = true;
      this.startFeed();
    }
    if (this.version) {
      const v = this.version();
      if (v !== this.seenVersion) {
        this.seenVersion = v;
        this.generation += 1; // a lookup in flight may have read the row before that commit
        this.rows.clear();
      }
    }
    const hit = this.rows.get(id);
    if (hit && hit.until > this.now()) return hit.row;
    const generation = this.generation;
    const row = await load(id);
    // Unknown ids are not remembered: they are not worth memory an attacker could fill.
    if (row && this.live && generation === this.generation) this.rows.set(id, { row, until: this.now() + this.ttlMs });
    return row;
  }

  invalidate(id: string): void {
    this.generation += 1;
    this.rows.delete(id);
  }

  /** The change feed is up: rows may be kept from now on. */
  setLive(live: boolean): void {
    this.generation += 1;
    this.live = live;
    this.rows.clear();
  }
}
