// AccessKey rows for authentication, cached in the process (the key lookup was one
// of five store round trips per API request). A row is served from memory only while this
// process hears every change: on PostgreSQL each change of a key (enable, disable, delete)
// sends a NOTIFY in the same statement, and every process LISTENs (postgres/listener.ts);
// while that connection is down, nothing is cached. `ttlMs` bounds how long a row is trusted
// even so, for a change that reached the database some other way (a hand-written UPDATE).
// The same holds in AWS IAM and Alibaba RAM, where a disabled key stops working within
// seconds, not at once; here it is normally milliseconds, 10 s at worst.
import type { AccessKeyRow } from './schema.js';

export const ACCESS_KEY_CACHE_TTL_MS = 10_000;

export class AccessKeyCache {
  private readonly rows = new Map<string, { row: AccessKeyRow; until: number }>();
  /** Bumped on every invalidation: a lookup that raced one must not store its (older) row. */
  private generation = 0;
  private live = false;
  private started = false;

  /**
   * `startFeed` is called at the first lookup (so that short-lived commands, which never
   * authenticate a request, open no listening connection); it reports through setLive.
   */
  constructor(
    private readonly startFeed: () => void,
    private readonly ttlMs: number = ACCESS_KEY_CACHE_TTL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async get(id: string, load: (id: string) => Promise<AccessKeyRow | undefined>): Promise<AccessKeyRow | undefined> {
    if (!this.started) {
      this.started = true;
      this.startFeed();
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
