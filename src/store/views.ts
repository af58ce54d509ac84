// Narrowed views of the store, as Boulder's storage authority is split into read-only and
// writing interfaces: each consumer is typed with the repositories (and, for readers, the
// reading methods) it needs, so what it may change is visible in its signature.
//   - Front ends (api/*) hold read views only; every change they cause goes through a use
//     case of accounts/ or orders/ (test/import-direction.test.ts: fronts never import the
//     Store itself).
//   - Use cases declare a StoreView of the repositories they write, and read ones as reads.
// `Store` satisfies every view structurally: src/app passes the one store in, typed narrower.
import type { Actor } from '../domain/audit.js';
import type { Repos, StoreKind } from './store.js';

export type { Repos } from './store.js';
export type RepoName = keyof Repos;

/** The reading methods of the repositories: what a read view exposes. */
export interface ReadRepos {
  accounts: Pick<Repos['accounts'], 'get' | 'list'>;
  accessKeys: Pick<Repos['accessKeys'], 'getForAuth' | 'listByAccount'>;
  plans: Pick<Repos['plans'], 'listByAccount' | 'totalInForce' | 'usage' | 'pickPlanWithRoom'>;
  contacts: Pick<Repos['contacts'], 'page' | 'latest'>;
  companies: Pick<Repos['companies'], 'list' | 'latest' | 'findByName'>;
  csrs: Pick<Repos['csrs'], 'get' | 'page'>;
  issuers: Pick<Repos['issuers'], 'listActive' | 'count'>;
  orders: Pick<Repos['orders'], 'getWithCertificate' | 'get' | 'getById' | 'getManyById' | 'list' | 'listForOperator'>;
  authorizations: Pick<Repos['authorizations'], 'forOrder'>;
  certificates: Pick<
    Repos['certificates'],
    | 'forOrder'
    | 'forOrders'
    | 'get'
    | 'getMany'
    | 'findIssuedBySerial'
    | 'nameTaken'
    | 'list'
    | 'revocationCandidates'
    | 'countUnrevoked'
  >;
  jobs: Pick<Repos['jobs'], 'find' | 'nextRunAt'>;
  crls: Pick<Repos['crls'], 'latest' | 'header' | 'headers' | 'revokedPage' | 'issuerOfCertificate'>;
  notices: Pick<Repos['notices'], 'get' | 'list' | 'recent' | 'contactWebhooks' | 'webhookSecret'>;
  ocspResponses: Pick<
    Repos['ocspResponses'],
    'find' | 'findMany' | 'findByCertificateId' | 'findByCertificateIds' | 'needingResponse' | 'get' | 'freshness'
  >;
  stats: Repos['stats'];
  acme: Pick<
    Repos['acme'],
    | 'getEab'
    | 'listEab'
    | 'accountByUrlId'
    | 'accountById'
    | 'accountByThumbprint'
    | 'orderByUrlId'
    | 'orderWithAuthorizationsByUrlId'
    | 'orderByOrderId'
    | 'withOrder'
    | 'listOrders'
    | 'authorizationsForOrder'
    | 'authorizationByUrlId'
    | 'authorizationById'
    | 'authorizationRecord'
    | 'challengesFor'
    | 'challengeByUrlId'
    | 'challengeById'
    | 'reusableAuthorization'
    | 'expiredWaiting'
    | 'orderTimesSince'
  >;
  audit: Pick<Repos['audit'], 'list'>;
  consoleSessions: Pick<Repos['consoleSessions'], 'getSession'>;
}

/** Repositories `W` with all their methods, and repositories `R` for reading only. */
export type ViewRepos<W extends RepoName, R extends keyof ReadRepos = never> = Pick<Repos, W> &
  Pick<ReadRepos, Exclude<R, W>>;

/** What a use case may do with the store: write `W` (in transactions or one statement at a time), read `R`. */
export interface StoreView<W extends RepoName, R extends keyof ReadRepos = never> {
  readonly kind: StoreKind;
  readonly repos: ViewRepos<W, R>;
  /** Store.writeTransaction: one transaction holding the write lock from its first statement. */
  writeTransaction<T>(fn: (repos: ViewRepos<W, R>) => Promise<T>): Promise<T>;
}

/**
 * A view that can be handed to one actor (Store.actingAs): the same view, whose audit entries
 * name `actor`. What src/app gives the use cases that front ends call for their clients.
 */
export type ActingView<V> = V & { actingAs(actor: Actor): ActingView<V> };

/** What a front end may do with the store: read `R`, and check that it answers. */
export interface ReadView<R extends keyof ReadRepos> {
  readonly kind: StoreKind;
  readonly repos: Pick<ReadRepos, R>;
  ping(): Promise<void>;
}

/**
 * The CAS gateway's own bookkeeping of each request: its nonce and its account's rate
 * counter (store/repos/admissions.ts). The one write a front end makes itself: it records
 * that a request arrived, and changes no account, order or certificate.
 */
export interface AdmissionView {
  readonly repos: Pick<Repos, 'admissions' | 'rateCounters'>;
}

// ---- What each front end may read directly (app/ hands these out; everything else goes
// through the bound use cases of orders/engine.ts and accounts/service.ts) ----

/** CAS and operator APIs: no direct reads; the store only answers their health checks. */
export type HealthView = ReadView<never>;
/** The operator API: its health check, and the audit trail to list. */
export type OperatorReadView = ReadView<'audit'>;
/** Relying parties: the published CRLs (OCSP answers come from status/, which may store a fresh response). */
export type PublicReadView = ReadView<'crls'>;
/** ACME (RFC 8555 §7.1): order, authorization and certificate resources are read as POST-as-GET. */
export type AcmeReadView = ReadView<'orders' | 'authorizations' | 'certificates' | 'acme'>;
/** ACME's own admission write (RFC 8555 §6.5): issuing and spending anti-replay nonces. */
export interface AcmeNonceView {
  readonly repos: { acme: Pick<Repos['acme'], 'issueNonces' | 'redeemNonce'> };
}
/** The web console: an account's own records, to list and show. */
export type ConsoleReadView = ReadView<
  'accounts' | 'accessKeys' | 'plans' | 'contacts' | 'companies' | 'csrs' | 'orders' | 'authorizations' | 'certificates'
>;
/** The operator console: CA status (issuers, CRL headers) and the job and order counts. */
export type OperatorConsoleReadView = ReadView<'issuers' | 'crls' | 'stats' | 'audit' | 'jobs' | 'ocspResponses'>;
