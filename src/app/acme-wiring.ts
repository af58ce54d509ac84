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

export function acmeBaseUrl(ctx: AppContext): string | undefined {
  const { config } = ctx;
  if (!config.acmeListen) return undefined;
  return config.acmeUrl ?? `https://${formatHostPort(config.acmeListen)}`;
}

export function buildAcmeDeps(ctx: AppContext, orders: OrderDeps): AcmeDeps {
  return {
    ...orders,
    store: ctx.store,
    acme: { ...DEFAULT_ACME_SETTINGS, ordersPerWindow: ctx.config.acmeOrdersPerHour, rateWindowMs: 3_600_000 },
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
    names: listenerNames([new URL(baseUrl).hostname.replace(/^\[|\]$/g, ''), config.acmeListen!.host]),
    clock: ctx.clock,
    random: ctx.random,
    logger: ctx.logger,
  });
}

export async function acmeListenerSpec(
  ctx: AppContext,
  hierarchy: CaHierarchy,
  deps: AcmeDeps,
  observe: (resource: string, problem: string) => void,
): Promise<{ spec: ListenerSpec; tls: TlsSource } | undefined> {
  const baseUrl = acmeBaseUrl(ctx);
  if (!baseUrl || !ctx.config.acmeListen) return undefined;
  const tls = await acmeTls(ctx, hierarchy, baseUrl);
  const front: AcmeFrontDeps = {
    baseUrl,
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
