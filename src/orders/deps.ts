import type { LeafIssuer } from '../ca/leaf-profile.js';
import type { Clock, Logger, RandomSource, SecretSealer } from '../domain/ports.js';
import type { ActingView, ReadRepos, RepoName, StoreView } from '../store/views.js';
import type { DnsResolver, HttpFetcher, TlsConnector } from '../validation/ports.js';
import type { EventRepoReads, EventRepoWrites, EventSink, PresignedRevocations } from './events.js';

/** The issuing CA as the order engine uses it. */
export interface IssuingCa {
  id: number;
  /** Every certdesk issuing CA, this one and retired ones (src/app/ca-bootstrap.ts): a certificate's issuer_id is one of them. */
  issuerIds: readonly number[];
  /** Profile of certificates naming the full CRL. */
  leaf: LeafIssuer;
  /** The issuing CA's subject commonName, listed with each certificate it issues (Issuer). */
  commonName: string;
  /** CRL partitions (1: the full CRL only). A certificate's partition is fixed at issuance. */
  crlPartitions: number;
  /** Profile of certificates naming CRL partition `shard` (0 <= shard < crlPartitions). */
  leafForPartition(shard: number): LeafIssuer;
  /** The intermediates (never the root) above a certificate of issuer `issuerId`, PEM: what DescribeCertificateState appends to the leaf. */
  chainPem: (issuerId: number) => string;
}

export interface ValidationSettings {
  resolver: DnsResolver;
  fetcher: HttpFetcher;
  /** FILE validation connects here (80 in production; the challenge server's port in tests). */
  httpPort: number;
  allowPrivateTargets: boolean;
  /** ACME tls-alpn-01 (RFC 8737) connects with this, to this port (443 in production). */
  tls?: TlsConnector;
  tlsAlpnPort?: number;
  /** The issuer domain name CAA records must name (RFC 8659 §4.2). */
  caaIdentity: string;
  /** First retry delay; doubles per attempt up to MAX_RETRY_MS (worker/job-protocol.ts). */
  retryBaseMs: number;
}

/**
 * Whether DescribeCertificateState may ask for a validation attempt (src/app/validation-nudges.ts):
 * returns when the attempt should run (now, or the end of the order's gap), or undefined to
 * answer from the last attempt's result (or from the attempt already asked for and to come).
 */
export interface ValidationNudges {
  grant(accountId: number, orderId: number, now: number): number | undefined;
  /** An attempt of the order starts (the worker's): the nudge that asked for it is spent. */
  attempted(orderId: number, now: number): void;
}

/** Where the worker runs in this process: waits until an order's validate or issue job settles (src/app/attempt-watch.ts). */
export interface AttemptWatch {
  /** Resolves when the order's job settles, or after `ms`; at once where no worker runs here. */
  wait(orderId: number, ms: number): Promise<void>;
}

/** The repositories the order engine writes: its own tables, and those its event sinks write in its transactions. */
export type OrderRepoWrites = 'orders' | 'authorizations' | 'certificates' | 'jobs' | EventRepoWrites;
/** The repositories it only reads. */
export type OrderRepoReads = 'plans' | 'contacts' | 'companies' | EventRepoReads;

/** What the order engine needs; src/app builds it. */
export interface OrderDeps {
  /** Acting for certdesk itself; OrderEngine.actingAs hands it to a front end's client. */
  store: ActingView<StoreView<OrderRepoWrites, OrderRepoReads>>;
  clock: Clock;
  random: RandomSource;
  sealer: SecretSealer;
  logger: Logger;
  ca: IssuingCa;
  validation: ValidationSettings;
  /** Tells an in-process worker that a job is due now, or at `at` (a no-op where none runs). */
  wake: (at?: number) => void;
  /** The bound on validation attempts that DescribeCertificateState triggers (built in src/app). */
  nudges: ValidationNudges;
  /** DescribeCertificateState waits here for the attempt it asked for (absent: it does not wait). */
  attempts?: AttemptWatch;
  /** Called inside the transaction of every state change customers hear about (events.ts). */
  events: EventSink;
  /**
   * Fault injection for crash tests only: called right after an issuance intent is
   * committed, before signing (src/app sets it from CERTDESK_FAULT; never in production).
   */
  afterIntentRecorded?: (orderId: number) => void;
  /** Fault injection for crash tests only: called after each committed batch of a mass revocation (mass-revoke.ts). */
  afterRevocationBatch?: (batch: number) => void;
  /**
   * Signs the OCSP responses of a mass revocation's batch ahead of its transaction (the
   * active issuing CA's; status/ocsp-responses.ts presignRevocations). Absent: the OCSP sink
   * signs them inside the transaction.
   */
  presignRevocations?: (
    serials: readonly string[],
    revokedAt: number,
    reason: number | null,
  ) => Promise<PresignedRevocations>;
}

/**
 * What one use case needs: some of OrderDeps, with the store narrowed to the repositories
 * it writes (`W`) and reads (`R`). A use case that raises events writes what the sinks write.
 */
export type UseCaseDeps<
  K extends Exclude<keyof OrderDeps, 'store'>,
  W extends RepoName,
  R extends keyof ReadRepos = never,
> = Pick<OrderDeps, K> & { store: StoreView<W, R> };
