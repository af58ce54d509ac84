// Builds the ACME front end and its listener from config: the ACME use cases bound to the
// order engine's deps (orders/acme/engine.ts), the HTTPS certificate (the operator's files or
// a self-issued one, app/tls.ts), and the periodic release of units of orders that ended
// without a certificate.
import { acmePlugin } from '../api/acme/plugin.js';
import { acmeErrorForm } from '../api/acme/problems.js';
import type { AcmeFrontDeps } from '../api/acme/context.js';
import { formatHostPort } from '../config/schema.js';
import { CertError } from '../domain/errors.js';
import { ACME_DEFAULT_NONCE_LIFETIME_MS, type AcmeChallenge } from '../domain/acme.js';
import type { OrderDeps } from '../orders/deps.js';
import {
  DEFAULT_ACME_SETTINGS,
  type AcmeDeps,
  type ChallengeStarter,
  type KnownChallenge,
} from '../orders/acme/deps.js';
import { settleAcmeChallenge } from '../orders/acme/challenges.js';
import { createAcmeEngine } from '../orders/acme/engine.js';
import { acmeProfiles, releaseFinishedOrders } from '../orders/acme/orders.js';
import type { AppContext } from './context.js';
import { createAccountKeyCache, createNoncePool } from './acme-caches.js';
import type { CaHierarchy } from './ca-bootstrap.js';
import type { ListenerSpec } from './edge.js';
import { fileTlsSource, listenerNames, selfIssuedTlsSource, type TlsSource } from './tls.js';

/**
 * The ACME base URL every emitted URL is built from: --acme-url, else https://<acme-listen>.
 * With port 0 and no --acme-url (tests, parallel `certdesk dev`), the port is known only once
 * the listener is bound: `bound()` sets it before the first request can be read, and the
 * account URLs the worker derives (dns-account-01 labels, CAA accounturi) read the same holder.
 */
export interface AcmeBase {
  readonly url: string;
  bound(port: number): void;
}

export function acmeBase(ctx: AppContext): AcmeBase {
  const { acmeUrl, acmeListen } = ctx.config;
  let url = acmeUrl ?? `https://${formatHostPort(acmeListen)}`;
  return {
    get url() {
      return url;
    },
    bound(port) {
      if (acmeUrl === undefined && acmeListen.port === 0) url = `https://${formatHostPort({ ...acmeListen, port })}`;
    },
  };
}

/** Challenge attempts one process runs at once beside the worker's (whose concurrency is 8 jobs). */
export const ACME_CHALLENGES_AT_ONCE = 64;

/**
 * How long the challenge POST waits for the attempt it started before answering
 * `processing` with Retry-After: 1. Validating one name on a reachable host takes
 * milliseconds; a slow or unreachable one answers `processing` after this, and the client
 * polls as before (RFC 8555 §7.5.1 lets the server validate before it answers).
 */
export const ACME_CHALLENGE_ANSWER_WAIT_MS = 1000;

export function buildAcmeDeps(
  ctx: AppContext,
  orders: OrderDeps,
  base: AcmeBase,
): AcmeDeps & { drain(): Promise<void> } {
  const deps: AcmeDeps = {
    ...orders,
    store: ctx.store,
    acme: {
      ...DEFAULT_ACME_SETTINGS,
      ordersPerWindow: ctx.config.acmeOrdersPerHour,
      rateWindowMs: 3_600_000,
      accountUrl: (urlId) => `${base.url}/acme/acct/${urlId}`,
    },
  };
  const starter = challengeStarter(ctx, deps, ACME_CHALLENGES_AT_ONCE, ACME_CHALLENGE_ANSWER_WAIT_MS);
  return { ...deps, challenges: starter, drain: () => starter.drain() };
}

/**
 * Runs challenge jobs leased to this process at once (orders/acme/deps.ts ChallengeStarter),
 * with `deps` (the store acting as certdesk: validation is the CA's own act, as from the
 * worker), at most `max` at a time. A failed run is handed back to the job queue with the
 * worker's retry delay, as the worker does with a job that throws.
 */
function challengeStarter(
  ctx: AppContext,
  deps: AcmeDeps,
  max: number,
  answerWaitMs: number,
): ChallengeStarter & { drain(): Promise<void> } {
  const owner = `${process.pid}-acme-${ctx.random.bytes(6).toString('hex')}`;
  const leaseMs = ctx.config.jobLeaseSeconds * 1000;
  const running = new Set<Promise<void>>();
  let reserved = 0;
  const jobs = ctx.store.repos.jobs;
  async function handBack(jobId: number, reason: string): Promise<void> {
    const at = await jobs
      .retry(jobId, owner, ctx.clock.now() + deps.validation.retryBaseMs, reason)
      .catch(() => undefined);
    if (at !== undefined) deps.wake(at);
  }
  async function attempt(
    jobId: number,
    challengeId: number,
    known?: KnownChallenge,
  ): Promise<AcmeChallenge | undefined> {
    try {
      const settled = await settleAcmeChallenge(deps, challengeId, known, { jobId, owner });
      if (!settled.completed) await jobs.complete(jobId, owner);
      return settled.challenge;
    } catch (e) {
      ctx.logger.log('warn', 'acme challenge attempt failed; the worker retries it', {
        challengeId,
        error: String(e),
      });
      await handBack(jobId, 'internal error');
      return undefined;
    }
  }
  return {
    owner,
    leaseMs,
    reserve() {
      if (reserved >= max) return false;
      reserved += 1;
      return true;
    },
    release() {
      reserved -= 1;
    },
    run(jobId, challengeId, known) {
      const p = attempt(jobId, challengeId, known).finally(() => {
        reserved -= 1;
        running.delete(done);
      });
      const done = p.then(() => undefined);
      running.add(done);
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, answerWaitMs, undefined);
        timer.unref();
      });
      return Promise.race([p, waited]).finally(() => clearTimeout(timer));
    },
    handBack,
    async drain() {
      await Promise.all([...running]);
    },
  };
}

async function acmeTls(ctx: AppContext, hierarchy: CaHierarchy, baseUrl: string): Promise<TlsSource> {
  const { config } = ctx;
  if (config.acmeTlsCert && config.acmeTlsKey) {
    try {
      return fileTlsSource({ certFile: config.acmeTlsCert, keyFile: config.acmeTlsKey, logger: ctx.logger });
    } catch (e) {
      throw new CertError('invalid_parameter', `--acme-tls-cert/--acme-tls-key: ${(e as Error).message}`);
    }
  }
  return selfIssuedTlsSource({
    issuer: hierarchy.issuing,
    names: listenerNames([new URL(baseUrl).hostname.replace(/^\[|\]$/g, ''), config.acmeListen.host]),
    clock: ctx.clock,
    random: ctx.random,
    logger: ctx.logger,
  });
}

export async function acmeListenerSpec(
  ctx: AppContext,
  hierarchy: CaHierarchy,
  deps: AcmeDeps,
  base: AcmeBase,
  observe: (resource: string, problem: string) => void,
): Promise<{ spec: ListenerSpec; tls: TlsSource }> {
  // The host part of the URL does not change when the port is bound.
  const tls = await acmeTls(ctx, hierarchy, base.url);
  const front: AcmeFrontDeps = {
    get baseUrl() {
      return base.url;
    },
    engine: createAcmeEngine(deps),
    reads: ctx.store,
    nonces: ctx.store,
    nextNonce: createNoncePool({
      store: ctx.store,
      clock: ctx.clock,
      random: ctx.random,
      lifetimeMs: ACME_DEFAULT_NONCE_LIFETIME_MS,
    }),
    accountKeys: createAccountKeyCache(),
    clock: ctx.clock,
    random: ctx.random,
    nonceLifetimeMs: ACME_DEFAULT_NONCE_LIFETIME_MS,
    nonceRejectRate: ctx.config.acmeNonceRejectPercent / 100,
    caaIdentities: [ctx.config.caaIdentity],
    profiles: acmeProfiles(),
    issuerIds: deps.ca.issuerIds,
    observe,
  };
  return {
    tls,
    spec: {
      name: 'acme',
      at: ctx.config.acmeListen,
      tls,
      errorForm: acmeErrorForm,
      fronts: [{ plugin: acmePlugin(front, ctx.logger) }],
    },
  };
}

/** Every minute: expired ACME orders end invalid and give their units back; spent nonces go. */
export function startAcmeHousekeeping(ctx: AppContext, deps: AcmeDeps, everyMs = 60_000): () => void {
  const timer = setInterval(() => {
    const now = ctx.clock.now();
    Promise.all([releaseFinishedOrders(deps, now), ctx.store.repos.acme.purgeNonces(now)]).catch((e: unknown) =>
      ctx.logger.log('warn', 'acme housekeeping failed', { error: String(e) }),
    );
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
