// Builds the ACME front end and its listener from config: the ACME use cases bound to the
// order engine's deps (orders/acme/engine.ts), the HTTPS certificate (the operator's files or
// a self-issued one, app/tls.ts), and the periodic release of units of orders that ended
// without a certificate.
import { acmePlugin } from '../api/acme/plugin.js';
import { acmeErrorForm } from '../api/acme/problems.js';
import type { AcmeFrontDeps } from '../api/acme/context.js';
import { formatHostPort } from '../config/schema.js';
import { CertError } from '../domain/errors.js';
import { ACME_DEFAULT_NONCE_LIFETIME_MS } from '../domain/acme.js';
import type { OrderDeps } from '../orders/deps.js';
import { DEFAULT_ACME_SETTINGS, type AcmeDeps } from '../orders/acme/deps.js';
import { createAcmeEngine } from '../orders/acme/engine.js';
import { acmeProfiles, releaseFinishedOrders } from '../orders/acme/orders.js';
import type { AppContext } from './context.js';
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

export function buildAcmeDeps(ctx: AppContext, orders: OrderDeps, base: AcmeBase): AcmeDeps {
  return {
    ...orders,
    store: ctx.store,
    acme: {
      ...DEFAULT_ACME_SETTINGS,
      ordersPerWindow: ctx.config.acmeOrdersPerHour,
      rateWindowMs: 3_600_000,
      accountUrl: (urlId) => `${base.url}/acme/acct/${urlId}`,
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
