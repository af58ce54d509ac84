import type { LeafIssuer } from '../ca/leaf-profile.js';
import type { Clock, Logger, RandomSource, SecretSealer } from '../domain/ports.js';
import type { Store } from '../store/store.js';
import type { DnsResolver, HttpFetcher } from '../validation/ports.js';

/** The issuing CA as the order engine uses it. */
export interface IssuingCa {
  id: number;
  leaf: LeafIssuer;
  /** Issuing CA then root, PEM: what DescribeCertificateState appends to the leaf. */
  chainPem: string;
}

export interface ValidationSettings {
  resolver: DnsResolver;
  fetcher: HttpFetcher;
  /** FILE validation connects here (80 in production; the challenge server's port in tests). */
  httpPort: number;
  allowPrivateTargets: boolean;
  /** The issuer domain name CAA records must name (RFC 8659 §4.2). */
  caaIdentity: string;
  /** First retry delay; doubles per attempt up to MAX_RETRY_MS. */
  retryBaseMs: number;
}

/** What the order engine needs; src/app builds it (principle 3). */
export interface OrderDeps {
  store: Store;
  clock: Clock;
  random: RandomSource;
  sealer: SecretSealer;
  logger: Logger;
  ca: IssuingCa;
  validation: ValidationSettings;
  /** Tells an in-process worker that a job is due now (a no-op where none runs). */
  wake: () => void;
  /**
   * Fault injection for crash tests only: called right after an issuance intent is
   * committed, before signing (src/app sets it from CERTDESK_FAULT; never in production).
   */
  afterIntentRecorded?: (orderId: number) => void;
}
