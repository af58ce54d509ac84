// Starting one listener of the HTTP edge: a node server (src/app/listeners.ts: TLS, limits)
// under a fastify app (src/api/edge/app.ts: schemas, one error form, 5xx logged) with the
// fronts registered as plugins. A front end is a fastify plugin plus its error form; the
// console and ACME are added the same way (docs/ARCHITECTURE.md, "The HTTP edge").
import type http from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createEdgeApp } from '../api/edge/app.js';
import { clientErrorHandler } from '../api/edge/client-error.js';
import type { ErrorForm } from '../api/edge/render.js';
import type { Logger } from '../domain/ports.js';
import type { HostPort } from '../config/schema.js';
import { closeServer, createNodeServer, listen, type ListenerLimits } from './listeners.js';
import type { TlsSource } from './tls.js';

export interface FrontPlugin {
  plugin: FastifyPluginAsyncTypebox;
  /** e.g. '/console' for the console. */
  prefix?: string;
}

/** Requests answered on node:http before fastify sees them (the CAS gateway at `/`: docs/decisions/0002). */
export interface RawRoute {
  matches(url: string): boolean;
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
}

export interface ListenerSpec {
  name: string;
  at: HostPort;
  tls?: TlsSource;
  /** The error form of the listener's main front end: unknown paths, refused requests. */
  errorForm: ErrorForm;
  fronts: readonly FrontPlugin[];
  raw?: RawRoute;
}

export interface RunningListener {
  name: string;
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export async function startListener(
  spec: ListenerSpec,
  env: { limits: ListenerLimits; bodyLimit: number; logger: Logger },
): Promise<RunningListener> {
  let server: http.Server | undefined;
  const app = createEdgeApp({
    name: spec.name,
    logger: env.logger,
    errorForm: spec.errorForm,
    bodyLimit: env.bodyLimit,
    clientErrorHandler: clientErrorHandler({ form: spec.errorForm, logger: env.logger, name: spec.name }),
    serverFactory: (handler) => {
      const raw = spec.raw;
      server = createNodeServer({
        limits: env.limits,
        tls: spec.tls,
        handler: raw
          ? (req, res) => {
              if (!raw.matches(req.url ?? '/')) return handler(req, res);
              raw.handle(req, res).catch((e: unknown) => {
                env.logger.log('error', `${spec.name} request failed`, { error: String((e as Error)?.stack ?? e) });
                res.destroy();
              });
            }
          : handler,
      });
      return server;
    },
  });
  for (const f of spec.fronts) await app.register(f.plugin, f.prefix ? { prefix: f.prefix } : {});
  await app.ready();
  const s = server!;
  let url: string;
  try {
    url = await listen(s, spec.at, spec.tls !== undefined);
  } catch (e) {
    await app.close();
    throw e;
  }
  return {
    name: spec.name,
    url,
    server: s,
    async close() {
      await closeServer(s);
      await app.close();
    },
  };
}
