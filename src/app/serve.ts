// `certdesk serve`: the CAS API, the operator API and the job worker, as --role says.
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { createCasHandler } from '../api/cas/gateway.js';
import { createApiServer } from './api-server.js';
import { CAS_ACTIONS } from '../api/cas/actions/index.js';
import { createAdminServer } from '../api/admin/server.js';
import type { HostPort } from '../config/schema.js';
import type { OrderDeps } from '../orders/deps.js';
import type { Worker } from '../worker/worker.js';
import type { AppContext } from './context.js';
import { caSettings, ensureHierarchy, type CaHierarchy } from './ca-bootstrap.js';
import { loadAdminToken } from './secrets.js';
import { buildOrderDeps, publicHandlers, startOrderWorker } from './orders-wiring.js';
import { staticFiles } from '../api/public/handler.js';
import { revokeByKeyHandler } from '../api/public/revoke-by-key.js';
import { createCertdeskMetrics } from './metrics.js';

export interface RunningServer {
  apiUrl: string;
  adminUrl: string;
  hierarchy: CaHierarchy;
  orders: OrderDeps;
  close(): Promise<void>;
}

function listen(server: http.Server, at: HostPort): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      const a = server.address() as AddressInfo;
      resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}

const NONCE_PURGE_MS = 60_000;

export async function startServer(ctx: AppContext, opts: { workerPollMs?: number } = {}): Promise<RunningServer> {
  const { config, store, logger } = ctx;
  const hierarchy = await ensureHierarchy(
    { store, sealer: ctx.sealer, clock: ctx.clock, random: ctx.random, logger },
    caSettings(config),
  );
  let worker: Worker | undefined;
  const orders = buildOrderDeps(ctx, hierarchy, () => worker?.wake());
  if (config.role !== 'api') worker = startOrderWorker(ctx, hierarchy, orders, opts.workerPollMs);

  const servers: http.Server[] = [];
  let apiUrl = '';
  if (config.role !== 'worker') {
    const metrics = createCertdeskMetrics({ store, clock: ctx.clock, logger, actions: CAS_ACTIONS.keys() });
    const handleCas = createCasHandler({
      deps: {
        accounts: ctx.accounts,
        orders,
        logger,
        timestampWindowMs: config.timestampWindowSeconds * 1000,
        observe: (...args) => metrics.observe(...args),
      },
      actions: CAS_ACTIONS,
      hostId: `${config.listen.host}:${config.listen.port}`,
    });
    // Every CA certificate at the URL its children's AIA caIssuers names (retired ones too).
    const caFiles = staticFiles(
      new Map(
        hierarchy.all.map((c) => [`/ca/${c.stem}.cer`, { type: 'application/pkix-cert', body: c.issuer.certDer }]),
      ),
    );
    const revokeByKey = revokeByKeyHandler(orders, `${config.listen.host}:${config.listen.port}`);
    const api = createApiServer({
      store,
      handleCas,
      publicHandlers: [caFiles, revokeByKey, metrics.handler, ...publicHandlers(ctx, hierarchy, orders)],
    });
    apiUrl = await listen(api, config.listen);
    servers.push(api);
  }
  const admin = createAdminServer({
    token: loadAdminToken(config.dataDir, ctx.env),
    services: { accounts: ctx.accounts, orders },
    logger,
  });
  let adminUrl: string;
  try {
    adminUrl = await listen(admin, config.adminListen);
  } catch (e) {
    for (const s of servers) s.close();
    await worker?.stop();
    throw e;
  }
  servers.push(admin);
  const purge = setInterval(() => {
    store.repos.nonces
      .purgeExpired(ctx.clock.now())
      .catch((e) => logger.log('warn', 'nonce purge failed', { error: String(e) }));
  }, NONCE_PURGE_MS);
  purge.unref();
  return {
    apiUrl,
    adminUrl,
    hierarchy,
    orders,
    async close() {
      clearInterval(purge);
      await worker?.stop();
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      await store.close();
    },
  };
}
