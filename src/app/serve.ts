// `certdesk serve`: the CAS API, the operator API and the job worker, as --role says; the
// listeners of the HTTP edge (src/app/edge.ts) and their fronts are composed here.
import type { AddressInfo } from 'node:net';
import { createCasGateway } from '../api/cas/gateway.js';
import { CAS_ACTIONS } from '../api/cas/actions/index.js';
import { casErrorForm } from '../api/cas/render.js';
import { operatorPlugin } from '../api/admin/plugin.js';
import { createRateLimiter } from '../api/cas/throttle.js';
import { operatorErrorForm } from '../api/admin/errors.js';
import { relyingPartyPlugin, staticFiles } from '../api/public/handler.js';
import { revokeByKeyHandler } from '../api/public/revoke-by-key.js';
import { consoleBaseUrl, formatHostPort, tlsConfigured } from '../config/schema.js';
import type { OrderDeps } from '../orders/deps.js';
import type { Worker } from '../worker/worker.js';
import type { AppContext } from './context.js';
import { caSettings, ensureHierarchy, type CaHierarchy } from './ca-bootstrap.js';
import { loadAdminToken } from './secrets.js';
import { createAttemptWatch } from './attempt-watch.js';
import { walCheckpointer, walLimitBytes, WAL_CHECKPOINT_DEFAULTS } from './wal-checkpointer.js';
import { buildOrderDeps, createOcspCaches, publicHandlers, startOrderWorker } from './orders-wiring.js';
import { createOrderEngine } from '../orders/engine.js';
import { createAccountService } from '../accounts/service.js';
import { createCertdeskMetrics } from './metrics.js';
import { limitsOf, planListeners, type ListenerName } from './listeners.js';
import { startListener, type FrontPlugin, type ListenerSpec, type RunningListener } from './edge.js';
import { fileTlsSource, listenerNames, selfIssuedTlsSource, type TlsSource } from './tls.js';
import { CertError } from '../domain/errors.js';
import { createEabService } from '../orders/acme/eab.js';
import { acmeBase, acmeListenerSpec, buildAcmeDeps, startAcmeHousekeeping } from './acme-wiring.js';
import { customerConsolePlugin } from '../api/console/customer.js';
import { certificateStatus } from '../status/certificate-status.js';
import {
  accountWebhooks,
  emailChannelOf,
  queueTestNotice,
  recentWebhookNotices,
  type TestNoticeDeps,
} from '../notices/index.js';
import { operatorConsolePlugin } from '../api/console/operator.js';
import { SignInLimiter } from '../api/console/http.js';
import { consoleAssets, consoleFeedKey, consoleLinkUrl, SIGN_IN_ATTEMPTS_PER_MINUTE } from './console.js';

export { planListeners } from './listeners.js';

export interface RunningServer {
  /** The CAS API's base URL ('' with --role worker). */
  apiUrl: string;
  /** The ACME base URL (--acme-url, else the listener's; '' with --role worker). */
  acmeListenUrl: string;
  adminUrl: string;
  /** Every listener started, by name (api, operator, public, metrics). */
  listeners: ReadonlyArray<{ name: ListenerName; url: string }>;
  hierarchy: CaHierarchy;
  orders: OrderDeps;
  close(): Promise<void>;
}

const NONCE_PURGE_MS = 60_000;

/** The TLS certificate of the listeners, when TLS is configured. */
async function tlsSourceFor(ctx: AppContext, hierarchy: CaHierarchy): Promise<TlsSource | undefined> {
  const { config } = ctx;
  if (!tlsConfigured(config)) return undefined;
  if (config.tlsCert && config.tlsKey) {
    try {
      return fileTlsSource({ certFile: config.tlsCert, keyFile: config.tlsKey, logger: ctx.logger });
    } catch (e) {
      throw new CertError('invalid_parameter', `--tls-cert/--tls-key: ${(e as Error).message}`);
    }
  }
  const hosts = [
    new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, ''),
    config.listen.host,
    config.adminListen.host,
    ...(config.metricsListen ? [config.metricsListen.host] : []),
  ];
  return selfIssuedTlsSource({
    issuer: hierarchy.issuing,
    names: listenerNames(hosts),
    clock: ctx.clock,
    random: ctx.random,
    logger: ctx.logger,
  });
}

export async function startServer(ctx: AppContext, opts: { workerPollMs?: number } = {}): Promise<RunningServer> {
  const { config, store, logger } = ctx;
  // SQLite: WAL checkpoints on their own thread, off the one that serves (app/wal-checkpointer.ts).
  store.moveWalCheckpoints(walCheckpointer(WAL_CHECKPOINT_DEFAULTS, logger), walLimitBytes(WAL_CHECKPOINT_DEFAULTS));
  const plans = planListeners(config);
  const hierarchy = await ensureHierarchy(
    { store, sealer: ctx.sealer, clock: ctx.clock, random: ctx.random, logger },
    caSettings(config),
  );
  let worker: Worker | undefined;
  const ocspCaches = createOcspCaches(hierarchy);
  const attempts = createAttemptWatch();
  const orders = buildOrderDeps(ctx, hierarchy, (at) => worker?.wake(at), ocspCaches, attempts, emailChannelOf(config));
  const base = acmeBase(ctx);
  const acmeDeps = buildAcmeDeps(ctx, orders, base);
  if (config.role !== 'api') worker = startOrderWorker(ctx, hierarchy, orders, opts.workerPollMs, acmeDeps, attempts);
  // What front ends hold: use cases bound to their deps, never the store's writes.
  const engine = createOrderEngine(orders);
  const accounts = createAccountService(ctx.accounts);

  const tls = await tlsSourceFor(ctx, hierarchy);
  const metrics = createCertdeskMetrics({ store, clock: ctx.clock, logger, actions: CAS_ACTIONS.keys() });
  const apiHost = formatHostPort(config.listen);
  const relyingParty: FrontPlugin = {
    plugin: relyingPartyPlugin([
      // Every CA certificate at the URL its children's AIA caIssuers names (retired ones too).
      staticFiles(
        new Map(
          hierarchy.all.map((c) => [`/ca/${c.stem}.cer`, { type: 'application/pkix-cert', body: c.issuer.certDer }]),
        ),
      ),
      revokeByKeyHandler(engine),
      ...publicHandlers(ctx, hierarchy, orders, ocspCaches),
    ]),
  };
  const health: FrontPlugin = {
    plugin: async (app) => {
      app.get('/healthz', async (_req, reply) => {
        try {
          await store.ping();
          return reply.send({ status: 'ok' });
        } catch {
          return reply.code(503).send({ status: 'store unreachable' });
        }
      });
    },
  };
  const token = loadAdminToken(config.dataDir, ctx.env);
  // Sign-in links name the API listener as it runs (its port may have been 0 in the flags).
  let consoleApiBase = consoleBaseUrl(config);
  const eab = createEabService({ store, clock: ctx.clock, random: ctx.random, sealer: ctx.sealer });
  const signInLimiter = new SignInLimiter(SIGN_IN_ATTEMPTS_PER_MINUTE, () => ctx.clock.now());
  const customerConsole: FrontPlugin = {
    prefix: '/console',
    plugin: customerConsolePlugin({
      accounts,
      orders: engine,
      clock: ctx.clock,
      logger,
      limiter: signInLimiter,
      assets: consoleAssets(),
      feedKey: consoleFeedKey(token),
      webhooks: consoleWebhooks({ store, clock: ctx.clock, random: ctx.random }),
      certificateStatus: (cert) => certificateStatus(store, cert, ctx.clock.now()),
    }),
  };
  const specs: Record<ListenerName, (at: ListenerSpec['at'], useTls: boolean) => ListenerSpec> = {
    api: (at, useTls) => {
      const gateway = createCasGateway({
        deps: {
          accounts,
          orders: engine,
          admissions: store,
          rateLimiter: createRateLimiter({ store, clock: ctx.clock, logger }),
          clock: ctx.clock,
          logger,
          timestampWindowMs: config.timestampWindowSeconds * 1000,
          observe: (...args) => metrics.observe(...args),
        },
        actions: CAS_ACTIONS,
        hostId: apiHost,
        bodyLimit: config.bodyLimit,
      });
      return {
        name: 'api',
        at,
        ...(useTls && tls ? { tls } : {}),
        errorForm: casErrorForm(apiHost),
        // The CAS API is at `/` of its host:port (the SDK signs URI `/` whatever path an
        // endpoint carries); it stays on node:http (docs/decisions/0002-cas-gateway-on-node-http.md).
        raw: { matches: (url) => url === '/' || url.startsWith('/?'), handle: (req, res) => gateway.handle(req, res) },
        fronts: [health, relyingParty, customerConsole],
      };
    },
    operator: (at, useTls) => ({
      name: 'operator',
      at,
      ...(useTls && tls ? { tls } : {}),
      errorForm: operatorErrorForm,
      fronts: [
        {
          plugin: operatorPlugin({
            token,
            services: {
              accounts,
              orders: engine,
              store,
              acmeEab: eab,
            },
            metrics: () => metrics.exposition(),
          }),
        },
        {
          prefix: '/console',
          plugin: operatorConsolePlugin({
            token,
            accounts,
            orders: engine,
            store,
            clock: ctx.clock,
            logger,
            limiter: signInLimiter,
            assets: consoleAssets(),
            eab,
            linkUrl: (t) => consoleLinkUrl(consoleApiBase, t),
          }),
        },
      ],
    }),
    public: (at) => ({ name: 'public', at, errorForm: casErrorForm(apiHost), fronts: [health, relyingParty] }),
    metrics: (at, useTls) => ({
      name: 'metrics',
      at,
      ...(useTls && tls ? { tls } : {}),
      errorForm: operatorErrorForm,
      fronts: [
        {
          plugin: async (app) => {
            app.get('/metrics', async (_req, reply) => {
              const m = await metrics.exposition();
              return reply.type(m.contentType).header('cache-control', 'no-store').send(m.body);
            });
          },
        },
      ],
    }),
  };

  const running: RunningListener[] = [];
  const acme =
    config.role !== 'worker'
      ? await acmeListenerSpec(ctx, hierarchy, acmeDeps, base, (r, p) => metrics.observeAcme(r, p))
      : undefined;
  const stopAcmeHousekeeping = acme ? startAcmeHousekeeping(ctx, acmeDeps) : () => {};
  const stopAll = async () => {
    stopAcmeHousekeeping();
    await Promise.all(running.map((l) => l.close()));
    // Challenge attempts the ACME front started finish before the store closes.
    await acmeDeps.drain();
    tls?.close();
    acme?.tls.close();
  };
  try {
    for (const p of plans)
      running.push(
        await startListener(specs[p.name](p.at, p.tls), {
          limits: limitsOf(config),
          bodyLimit: config.bodyLimit,
          logger,
        }),
      );
    if (acme) {
      const l = await startListener(acme.spec, { limits: limitsOf(config), bodyLimit: config.bodyLimit, logger });
      base.bound((l.server.address() as AddressInfo).port);
      running.push(l);
    }
  } catch (e) {
    await stopAll();
    await worker?.stop();
    throw e;
  }
  const purge = setInterval(() => {
    store.repos.nonces
      .purgeExpired(ctx.clock.now())
      .catch((e) => logger.log('warn', 'nonce purge failed', { error: String(e) }));
    store.repos.consoleSessions
      .purgeExpired(ctx.clock.now())
      .catch((e) => logger.log('warn', 'console session purge failed', { error: String(e) }));
  }, NONCE_PURGE_MS);
  purge.unref();
  const urlOf = (name: ListenerName) => running.find((l) => l.name === name)?.url ?? '';
  if (!config.consoleUrl && urlOf('api')) consoleApiBase = urlOf('api');
  return {
    apiUrl: urlOf('api'),
    acmeListenUrl: acme ? base.url : '',
    adminUrl: urlOf('operator'),
    listeners: running.filter((l) => l.name !== 'acme').map((l) => ({ name: l.name as ListenerName, url: l.url })),
    hierarchy,
    orders,
    async close() {
      clearInterval(purge);
      await worker?.stop();
      await stopAll();
      await store.close();
    },
  };
}

/** The customer console's webhook page: the account's targets, test notices, the last deliveries. */
function consoleWebhooks(deps: TestNoticeDeps) {
  return {
    targets: (accountId: number) => accountWebhooks(deps, accountId),
    queueTest: (accountId: number, url: string) => queueTestNotice(deps, accountId, url),
    recent: (accountId: number) => recentWebhookNotices(deps, accountId),
  };
}
