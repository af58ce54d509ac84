// The store: one typed query layer (Kysely) over SQLite or PostgreSQL. Repositories are
// grouped by table; each method is one statement or one short transaction. Only src/app
// chooses the adapter (openStore); everything else receives a Store.
import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import { SYSTEM_ACTOR, type Actor } from '../domain/audit.js';
import { migrateToLatest } from './migrations.js';
import { openSqlite, type SqliteWal } from './sqlite/open-sqlite.js';
import {
  SQLITE_DEFAULT_AUTOCHECKPOINT,
  type StartWalCheckpointer,
  type WalCheckpointer,
} from './sqlite/wal-checkpoints.js';
import { openPostgresKysely, type PostgresOptions, type PreparedQuery } from './postgres/open-postgres.js';
import { accountRepo } from './repos/accounts.js';
import { accessKeyRepo, type AccessKeyFeed } from './repos/access-keys.js';
import { AccessKeyCache } from './access-key-cache.js';
import { startListener, type Listener } from './postgres/listener.js';
import { admissionRepo } from './repos/admissions.js';
import { nonceRepo } from './repos/nonces.js';
import { planRepo } from './repos/plans.js';
import { contactRepo } from './repos/contacts.js';
import { companyRepo } from './repos/companies.js';
import { issuerRepo } from './repos/issuers.js';
import { metaRepo } from './repos/meta.js';
import { orderRepo } from './repos/orders.js';
import { authorizationRepo } from './repos/authorizations.js';
import { certificateRepo } from './repos/certificates.js';
import { JOBS_CHANNEL, jobRepo } from './repos/jobs.js';
import { csrRepo } from './repos/csrs.js';
import { crlRepo } from './repos/crls.js';
import { noticeRepo } from './repos/notices.js';
import { ocspResponseRepo } from './repos/ocsp-responses.js';
import { rateCounterRepo } from './repos/rate-counters.js';
import { statsRepo } from './repos/stats.js';
import { acmeRepo } from './repos/acme.js';
import { auditRepo } from './repos/audit.js';
import { consoleSessionRepo } from './repos/console-sessions.js';

export type StoreKind = 'sqlite' | 'postgres';
export type Db = Kysely<Database> | Transaction<Database>;

export interface StoreLocation {
  kind: StoreKind;
  /** SQLite file path, or a postgres:// URL. */
  target: string;
  postgres?: PostgresOptions;
}

// SQLite's transaction statements, compiled once: three per write transaction, and built by
// Kysely per call (a raw node through the query executor) they were a measurable share of
// the order pipeline's compiles (docs/decisions/0036).
const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/** The PostgreSQL channel that announces AccessKey changes (repos/access-keys.ts). */
const ACCESS_KEY_CHANNEL = 'certdesk_access_keys';

/** The repositories `admissions` shares with its set. */
interface SharedRepos {
  nonces: ReturnType<typeof nonceRepo>;
  rateCounters: ReturnType<typeof rateCounterRepo>;
}

/** What a set of repositories is made over: its connection, store kind, audit actor. */
interface RepoContext {
  db: Db;
  kind: StoreKind;
  actor: Actor;
  keyFeed: AccessKeyFeed | undefined;
  prepared: PreparedQuery | undefined;
}

/**
 * How each repository is made, from the context and the set it belongs to (`admissions`
 * shares the set's `nonces` and `rateCounters`). A table of functions made once: making
 * these closures anew for every transaction was a measurable share of the order pipeline's
 * CPU (docs/decisions/0036).
 */
const REPO_MAKERS = {
  accounts: (c: RepoContext) => accountRepo(c.db),
  accessKeys: (c: RepoContext) => accessKeyRepo(c.db, c.kind, c.keyFeed),
  nonces: (c: RepoContext) => nonceRepo(c.db, c.prepared),
  admissions: (c: RepoContext, r: SharedRepos) => admissionRepo(r.nonces, r.rateCounters, c.prepared),
  plans: (c: RepoContext) => planRepo(c.db),
  contacts: (c: RepoContext) => contactRepo(c.db),
  companies: (c: RepoContext) => companyRepo(c.db),
  issuers: (c: RepoContext) => issuerRepo(c.db),
  meta: (c: RepoContext) => metaRepo(c.db, c.kind),
  orders: (c: RepoContext) => orderRepo(c.db, c.kind, c.prepared),
  authorizations: (c: RepoContext) => authorizationRepo(c.db),
  certificates: (c: RepoContext) => certificateRepo(c.db, c.kind),
  jobs: (c: RepoContext) => jobRepo(c.db, c.kind),
  csrs: (c: RepoContext) => csrRepo(c.db),
  crls: (c: RepoContext) => crlRepo(c.db, c.kind),
  notices: (c: RepoContext) => noticeRepo(c.db, c.kind),
  ocspResponses: (c: RepoContext) => ocspResponseRepo(c.db, c.kind),
  rateCounters: (c: RepoContext) => rateCounterRepo(c.db, c.prepared),
  stats: (c: RepoContext) => statsRepo(c.db),
  acme: (c: RepoContext) => acmeRepo(c.db, c.kind),
  audit: (c: RepoContext) => auditRepo(c.db, c.kind, c.actor),
  consoleSessions: (c: RepoContext) => consoleSessionRepo(c.db),
};

export type Repos = { [K in keyof typeof REPO_MAKERS]: ReturnType<(typeof REPO_MAKERS)[K]> };

/** Where a lazy set of repositories keeps its context. */
const CONTEXT = Symbol('repo context');

/**
 * The prototype of every transaction's repositories: one getter per repository, which makes
 * it from the set's context on first use and keeps it on the set. A transaction then costs
 * one small object; it uses two or three of the 22 repositories, and making all of them was
 * a measurable share of an ACME order's CPU.
 */
const LAZY_REPOS = Object.create(
  null,
  Object.fromEntries(
    Object.entries(REPO_MAKERS).map(([name, make]) => [
      name,
      {
        enumerable: true,
        get(this: Repos & { [CONTEXT]: RepoContext }) {
          const repo = (make as (c: RepoContext, r: SharedRepos) => unknown)(this[CONTEXT], this);
          Object.defineProperty(this, name, { value: repo, enumerable: true, writable: true });
          return repo;
        },
      },
    ]),
  ) as PropertyDescriptorMap,
) as object;

/**
 * `prepared` (PostgreSQL, outside transactions): the statements every API request makes run
 * as prepared statements (postgres/open-postgres.ts); elsewhere they go through Kysely.
 * `lazy` (a transaction's repositories): each is made when first used (LAZY_REPOS).
 */
function buildRepos(
  db: Db,
  kind: StoreKind,
  actor: Actor,
  keyFeed?: AccessKeyFeed,
  prepared?: PreparedQuery,
  lazy = false,
): Repos {
  const context: RepoContext = { db, kind, actor, keyFeed, prepared };
  const repos = Object.create(LAZY_REPOS) as Repos & { [CONTEXT]: RepoContext };
  repos[CONTEXT] = context;
  if (!lazy) for (const name of Object.keys(REPO_MAKERS)) void repos[name as keyof Repos];
  return repos;
}

/**
 * The store as one actor uses it (Store.actingAs): the same repositories and transactions,
 * with audit entries naming that actor (domain/audit.ts).
 */
export interface ActingStore {
  readonly kind: StoreKind;
  readonly actor: Actor;
  readonly repos: Repos;
  writeTransaction<T>(fn: (repos: Repos, tx: Db) => Promise<T>): Promise<T>;
  actingAs(actor: Actor): ActingStore;
}

export interface StoreOptions {
  /** Whom the store's audit entries name (default: certdesk itself; `certdesk admin`: the operator). */
  actor?: Actor;
}

export class Store implements ActingStore {
  readonly repos: Repos;
  /** Transactions announce key changes too, but do not read through the cache. */
  private txKeyFeed: AccessKeyFeed | undefined;
  private listener: Listener | undefined;
  private readonly jobListeners = new Set<Listener>();
  private checkpointer: WalCheckpointer | undefined;
  private closed = false;

  private constructor(
    readonly kind: StoreKind,
    readonly db: Kysely<Database>,
    private readonly location: StoreLocation,
    private readonly prepared: PreparedQuery | undefined,
    readonly actor: Actor,
    dataVersion?: () => number,
    private readonly wal?: SqliteWal,
  ) {
    let rootFeed: AccessKeyFeed | undefined;
    if (kind === 'sqlite' && dataVersion) {
      // Another process's change shows in the file's data_version (access-key-cache.ts); this
      // process's own, in the transactions that make them, drop the row at once.
      const cache: AccessKeyCache = new AccessKeyCache(() => cache.setLive(true), undefined, undefined, dataVersion);
      rootFeed = { channel: ACCESS_KEY_CHANNEL, tag: '', cache };
      this.txKeyFeed = { channel: ACCESS_KEY_CHANNEL, tag: '', dropCached: (id) => cache.invalidate(id) };
    }
    if (kind === 'postgres') {
      const tag = location.postgres?.schema ?? 'public';
      this.txKeyFeed = { channel: ACCESS_KEY_CHANNEL, tag };
      const cache: AccessKeyCache = new AccessKeyCache(() => {
        if (this.closed) return;
        const prefix = `${tag}:`;
        this.listener = startListener({
          url: location.target,
          channel: ACCESS_KEY_CHANNEL,
          onNotify: (payload) => {
            if (payload.startsWith(prefix)) cache.invalidate(payload.slice(prefix.length));
          },
          onLive: () => cache.setLive(true),
          onLost: () => cache.setLive(false),
        });
      });
      rootFeed = { ...this.txKeyFeed, cache };
      this.txKeyFeed = { ...this.txKeyFeed, dropCached: (id) => cache.invalidate(id) };
    }
    this.repos = buildRepos(db, kind, actor, rootFeed, prepared);
  }

  static async open(location: StoreLocation, opts: StoreOptions = {}): Promise<Store> {
    let db: Kysely<Database>;
    let prepared: PreparedQuery | undefined;
    let dataVersion: (() => number) | undefined;
    let wal: SqliteWal | undefined;
    if (location.kind === 'sqlite') {
      ({ db, dataVersion, wal } = openSqlite(location.target));
    } else {
      const schema = location.postgres?.schema;
      if (schema) {
        if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('invalid PostgreSQL schema name');
        const bootstrap = openPostgresKysely(location.target, { maxConnections: 1 });
        try {
          await sql`create schema if not exists ${sql.id(schema)}`.execute(bootstrap.db);
        } finally {
          await bootstrap.db.destroy();
          await bootstrap.prepared.close();
        }
      }
      ({ db, prepared } = openPostgresKysely(location.target, location.postgres));
    }
    try {
      await migrateToLatest(db, location.kind, location.postgres?.schema);
    } catch (e) {
      await db.destroy();
      await prepared?.close();
      throw e;
    }
    return new Store(location.kind, db, location, prepared, opts.actor ?? SYSTEM_ACTOR, dataVersion, wal);
  }

  /** The SQLite file's path (undefined: PostgreSQL, an in-memory database). */
  sqlitePath(): string | undefined {
    return this.wal?.path;
  }

  /**
   * SQLite: this connection stops checkpointing the WAL on commit (wal_autocheckpoint = 0) and
   * `start` does it elsewhere (app/wal-checkpointer.ts), until close(). `walLimitBytes` bounds
   * the file this connection leaves when the WAL starts over (journal_size_limit). If the
   * checkpointer fails, this connection checkpoints again as SQLite does by default. Other
   * connections to the file (`certdesk admin`) keep SQLite's default. False (nothing done):
   * PostgreSQL, an in-memory database, or a checkpointer already running.
   */
  moveWalCheckpoints(start: StartWalCheckpointer, walLimitBytes: number): boolean {
    const wal = this.wal;
    if (wal?.path === undefined || this.checkpointer !== undefined || this.closed) return false;
    wal.journalSizeLimit(walLimitBytes);
    wal.autocheckpoint(0);
    this.checkpointer = start(wal.path, () => {
      if (!this.closed) wal.autocheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT);
    });
    return true;
  }

  /**
   * Runs `fn` in a transaction that holds the write lock from its first statement, so a
   * read-then-write (quota check, state transition) cannot interleave with another writer.
   * SQLite: BEGIN IMMEDIATE. PostgreSQL: callers lock the rows they decide on (FOR UPDATE).
   */
  writeTransaction<T>(fn: (repos: Repos, tx: Db) => Promise<T>): Promise<T> {
    return this.transaction(this.actor, fn);
  }

  /**
   * The store as `actor` uses it: what a front end binds its use cases to for one request.
   * Cheap: the root repositories are shared through the prototype, only the audit repository
   * is made anew (copying the 22 repositories instead cost microseconds per request).
   */
  actingAs(actor: Actor): ActingStore {
    const repos = Object.create(this.repos) as { -readonly [K in keyof Repos]: Repos[K] };
    repos.audit = auditRepo(this.db, this.kind, actor);
    return {
      kind: this.kind,
      actor,
      repos,
      writeTransaction: (fn) => this.transaction(actor, fn),
      actingAs: (other) => this.actingAs(other),
    };
  }

  private async transaction<T>(actor: Actor, fn: (repos: Repos, tx: Db) => Promise<T>): Promise<T> {
    if (this.kind === 'postgres') {
      return this.db
        .transaction()
        .execute((tx) => fn(buildRepos(tx, this.kind, actor, this.txKeyFeed, undefined, true), tx));
    }
    return this.db.connection().execute(async (conn) => {
      await conn.executeQuery(BEGIN_IMMEDIATE);
      try {
        const result = await fn(buildRepos(conn, this.kind, actor, this.txKeyFeed, undefined, true), conn);
        await conn.executeQuery(COMMIT);
        return result;
      } catch (e) {
        await conn.executeQuery(ROLLBACK).catch(() => {});
        throw e;
      }
    });
  }

  /**
   * Calls `wake` when a job becomes due now in another process (PostgreSQL LISTEN on the
   * jobs channel, repos/jobs.ts), and once each time the listening connection is (re)made,
   * since notices sent while it was down are lost. SQLite: one process writes; nothing to hear.
   */
  onJobsDue(wake: () => void): { close(): Promise<void> } {
    if (this.kind !== 'postgres' || this.closed) return { close: async () => {} };
    const l = startListener({
      url: this.location.target,
      channel: JOBS_CHANNEL,
      onNotify: wake,
      onLive: wake,
      onLost: () => {},
    });
    this.jobListeners.add(l);
    return {
      close: async () => {
        this.jobListeners.delete(l);
        await l.close();
      },
    };
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    this.closed = true;
    // Its connection closes first: the last connection to close checkpoints the whole WAL
    // and removes it (https://www.sqlite.org/wal.html#the_wal_file), and that is this one.
    await this.checkpointer?.stop();
    await this.listener?.close();
    await Promise.all([...this.jobListeners].map((l) => l.close()));
    await this.db.destroy();
    await this.prepared?.close();
  }
}
