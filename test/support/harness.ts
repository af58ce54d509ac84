// Starts a real certdesk (in-process, on loopback, port 0) on SQLite, or on PostgreSQL in
// its own schema when CERTDESK_TEST_DATABASE_URL is set (`npm run test:pg`, CI).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { buildConfig, type Config } from '../../src/config/schema.js';
import { openContext, type AppContext } from '../../src/app/context.js';
import { startServer, type RunningServer } from '../../src/app/serve.js';
import { createJsonLogger, silentLogger } from '../../src/app/logger.js';
import type { Clock, Logger } from '../../src/domain/ports.js';
import { dropTestSchema } from './pg.js';

export const TEST_DATABASE_URL = process.env.CERTDESK_TEST_DATABASE_URL;

/** A clock tests can move; starts at real time. */
export class TestClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface Certdesk {
  ctx: AppContext;
  server: RunningServer;
  /** host:port of the CAS API, as the SDK's `endpoint` wants it. */
  endpoint: string;
  dataDir: string;
  /** Flags that point a `certdesk admin` process at the same store. */
  storeArgs: string[];
  storeEnv: Record<string, string>;
  clock: TestClock;
  close(): Promise<void>;
}

export function freshStoreArgs(
  dataDir: string,
  databaseUrl = TEST_DATABASE_URL,
): { args: string[]; env: Record<string, string> } {
  if (!databaseUrl) return { args: ['--data-dir', dataDir], env: {} };
  const schema = `t_${randomBytes(6).toString('hex')}`;
  return { args: ['--data-dir', dataDir, '--database-url', databaseUrl], env: { CERTDESK_PG_SCHEMA: schema } };
}

/** A free loopback port (so that --public-url, which certificates carry, names the real one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startCertdesk(
  extraFlags: Record<string, string | boolean> = {},
  opts: {
    logger?: Logger;
    /** certdesk's own defaults for the validation retry delay and the worker's poll (benchmarks), not the tests' short ones. */
    defaults?: boolean;
    /** PostgreSQL (a fresh schema) instead of what CERTDESK_TEST_DATABASE_URL says. */
    databaseUrl?: string;
  } = {},
): Promise<Certdesk> {
  const dataDir = mkdtempSync(join(tmpdir(), 'certdesk-test-'));
  const databaseUrl = opts.databaseUrl ?? TEST_DATABASE_URL;
  const { args, env } = freshStoreArgs(dataDir, databaseUrl);
  const flags: Record<string, string | boolean> = {
    'data-dir': dataDir,
    listen: `127.0.0.1:${await freePort()}`,
    ...(opts.defaults ? {} : { 'validation-retry-ms': '200' }),
    'admin-listen': '127.0.0.1:0',
    // Not the default 127.0.0.1:8443: tests run side by side (the bound port is server.acmeListenUrl).
    'acme-listen': '127.0.0.1:0',
    ...(databaseUrl ? { 'database-url': databaseUrl } : {}),
    ...extraFlags,
  };
  const config: Readonly<Config> = buildConfig(flags);
  const clock = new TestClock();
  // CERTDESK_TEST_LOG=1 shows the server's log on stderr while debugging a test.
  const logger =
    opts.logger ??
    (process.env.CERTDESK_TEST_LOG ? createJsonLogger('debug', (l) => process.stderr.write(l)) : silentLogger);
  const ctx = await openContext({ config, env: { ...env }, logger, clock });
  const server = await startServer(ctx, opts.defaults ? {} : { workerPollMs: 100 });
  return {
    ctx,
    server,
    endpoint: server.apiUrl.replace(/^https?:\/\//, ''),
    dataDir,
    storeArgs: args,
    storeEnv: env,
    clock,
    async close() {
      await server.close();
      await dropTestSchema(databaseUrl, env.CERTDESK_PG_SCHEMA);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
