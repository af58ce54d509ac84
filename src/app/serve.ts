// `certdesk serve`: the CAS API and the operator API on their own listeners.
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { createCasHandler } from '../api/cas/gateway.js';
import { createApiServer } from '../api/cas/server.js';
import { CAS_ACTIONS } from '../api/cas/actions/index.js';
import { createAdminServer } from '../api/admin/server.js';
import type { HostPort } from '../config/schema.js';
import type { AppContext } from './context.js';
import { ensureHierarchy, type CaHierarchy } from './ca-bootstrap.js';
import { loadAdminToken } from './secrets.js';

export interface RunningServer {
  apiUrl: string;
  adminUrl: string;
  hierarchy: CaHierarchy;
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

export async function startServer(ctx: AppContext): Promise<RunningServer> {
  const { config, store, logger } = ctx;
  const hierarchy = await ensureHierarchy({
    store, sealer: ctx.sealer, clock: ctx.clock, random: ctx.random, logger, algorithm: config.caAlgorithm, publicUrl: config.publicUrl,
  });
  const handleCas = createCasHandler({
    deps: { accounts: ctx.accounts, logger, timestampWindowMs: config.timestampWindowSeconds * 1000 },
    actions: CAS_ACTIONS,
    hostId: `${config.listen.host}:${config.listen.port}`,
  });
  const api = createApiServer({ store, handleCas });
  const admin = createAdminServer({ token: loadAdminToken(config.dataDir, ctx.env), services: { accounts: ctx.accounts }, logger });
  const apiUrl = await listen(api, config.listen);
  let adminUrl: string;
  try {
    adminUrl = await listen(admin, config.adminListen);
  } catch (e) {
    api.close();
    throw e;
  }
  const purge = setInterval(() => {
    store.repos.nonces.purgeExpired(ctx.clock.now()).catch((e) => logger.log('warn', 'nonce purge failed', { error: String(e) }));
  }, NONCE_PURGE_MS);
  purge.unref();
  return {
    apiUrl,
    adminUrl,
    hierarchy,
    async close() {
      clearInterval(purge);
      api.closeAllConnections();
      admin.closeAllConnections();
      await Promise.all([new Promise((r) => api.close(r)), new Promise((r) => admin.close(r))]);
      await store.close();
    },
  };
}
