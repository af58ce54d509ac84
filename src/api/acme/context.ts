// What the ACME front end holds: bound use cases (orders/acme/engine.ts), read views, its
// own nonce bookkeeping, and the one configured base URL every emitted URL is built from
// (RFC 8555 §6.4: the JWS `url` is compared with it, never with the Host header).
import type { KeyObject } from 'node:crypto';
import type { Clock, RandomSource } from '../../domain/ports.js';
import type { AcmeEngine } from '../../orders/acme/engine.js';
import type { AcmeNonceView, AcmeReadView } from '../../store/views.js';

export interface AcmeFrontDeps {
  /**
   * e.g. https://acme.example.com (no trailing slash); the directory is <baseUrl>/acme/directory.
   * Read at each request: with --acme-listen port 0 it is known only once the listener is bound.
   */
  baseUrl: string;
  engine: AcmeEngine;
  reads: AcmeReadView;
  nonces: AcmeNonceView;
  /** A fresh nonce for an answer (app/acme-caches.ts: written to the store in batches). */
  nextNonce: () => Promise<string>;
  /** An account key imported once (app/acme-caches.ts), by its stored thumbprint. */
  accountKeys: { get(thumbprint: string, jwk: object): KeyObject };
  clock: Clock;
  random: RandomSource;
  nonceLifetimeMs: number;
  /** Tests only: the share (0..1) of valid nonces refused, so that every client's retry path runs. */
  nonceRejectRate: number;
  caaIdentities: string[];
  profiles: Record<string, string>;
  /** certdesk's issuing CAs, current and retired: renewalInfo finds certificates among theirs. */
  issuerIds: readonly number[];
  /** Metrics: one call per answered request (resource, problem type or '' on success). */
  observe?: (resource: string, problem: string) => void;
}

/** Every URL the front emits, read from `base()` when used (its port may be bound after start). */
export function acmeUrls(base: () => string) {
  const root = () => `${base()}/acme`;
  return {
    get directory() {
      return `${root()}/directory`;
    },
    get newNonce() {
      return `${root()}/new-nonce`;
    },
    get newAccount() {
      return `${root()}/new-account`;
    },
    get newOrder() {
      return `${root()}/new-order`;
    },
    get revokeCert() {
      return `${root()}/revoke-cert`;
    },
    get keyChange() {
      return `${root()}/key-change`;
    },
    get renewalInfo() {
      return `${root()}/renewal-info`;
    },
    get accountPrefix() {
      return `${root()}/acct/`;
    },
    account: (id: string) => `${root()}/acct/${id}`,
    accountOrders: (id: string) => `${root()}/acct/${id}/orders`,
    order: (id: string) => `${root()}/order/${id}`,
    finalize: (id: string) => `${root()}/order/${id}/finalize`,
    authz: (id: string) => `${root()}/authz/${id}`,
    challenge: (id: string) => `${root()}/chall/${id}`,
    certificate: (id: string) => `${root()}/cert/${id}`,
  };
}

export type AcmeUrls = ReturnType<typeof acmeUrls>;
