// The one HTTP edge: every front end served over fastify (the operator API, the relying-party
// endpoints, the console and ACME next) gets its app from here, so that schemas, limits,
// request ids and error handling are the same everywhere (docs/decisions/0001-http-edge.md).
// A front end brings its error form (ErrorForm); this file makes sure every error, the
// framework's own included, goes through it, and that every 5xx is logged with its cause.
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CertError } from '../../domain/errors.js';
import type { Logger } from '../../domain/ports.js';
import { edgeError } from './errors.js';
import { causeOf, type ErrorForm, type RenderedError, JSON_TYPE } from './render.js';

export interface EdgeOptions {
  /** Names the listener in log lines ("operator", "api", ...). */
  name: string;
  logger: Logger;
  /** The front end's error helper, for errors no nested plugin renders itself. */
  errorForm: ErrorForm;
  bodyLimit: number;
  /** The listening server, made by src/app (TLS, timeouts, connection cap). */
  serverFactory: FastifyServerFactory;
  /** Requests the HTTP parser refused (src/api/edge/client-error.ts). */
  clientErrorHandler: (err: Error & { code?: string }, socket: Duplex) => void;
}

/** Sends a rendered error and logs a 5xx with its cause (never the query: it may hold keys). */
export function replyWithError(
  opts: Pick<EdgeOptions, 'name' | 'logger'>,
  reply: {
    code(n: number): unknown;
    headers(h: Record<string, string>): unknown;
    type(t: string): unknown;
    send(b: unknown): unknown;
  },
  request: { id: string; method: string; url: string },
  err: CertError,
  rendered: RenderedError,
): void {
  if (rendered.status >= 500)
    opts.logger.log('error', `${opts.name} request failed`, {
      requestId: request.id,
      method: request.method,
      path: request.url.split('?')[0],
      error: causeOf(err),
    });
  reply.code(rendered.status);
  reply.headers(rendered.headers);
  reply.type(rendered.type ?? JSON_TYPE);
  reply.send(JSON.stringify(rendered.body));
}

/**
 * A fastify app with TypeBox schemas, certdesk's request ids and one error path: schema and
 * parser refusals, thrown CertErrors and unknown errors all go through `errorForm`, unknown
 * paths answer 404 (unknown_path). A plugin may set its own error handler for its routes
 * (fastify's encapsulation) with its front end's form.
 */
export function createEdgeApp(opts: EdgeOptions) {
  const app = Fastify({
    serverFactory: opts.serverFactory,
    clientErrorHandler: opts.clientErrorHandler,
    logger: false,
    bodyLimit: opts.bodyLimit,
    // OCSP GET requests carry ~100-200 base64 characters in the path, fastify's default limit.
    routerOptions: { maxParamLength: 16 * 1024 },
    // A path with a stray '%' cannot be decoded by the router, which would answer 400 in its
    // own form: escape such a '%' so that the request is routed (to a 404 in the front end's
    // form, or to a handler that reads the path as sent: request.originalUrl).
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      return url.includes('%') ? url.replace(/%(?![0-9A-Fa-f]{2})/g, '%25') : url;
    },
    // What the router cannot read (a path that does not decode to UTF-8) in the front end's form too.
    frameworkErrors: (e, request, reply) => {
      const err = new CertError('invalid_parameter', 'The request path is not a valid URL path.', { cause: e });
      const r = reply as unknown as Parameters<typeof replyWithError>[1];
      replyWithError(opts, r, request, err, opts.errorForm(err, request.id));
    },
    genReqId: () => randomUUID().toUpperCase(),
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    // Unknown fields are refused (a typo must not pass silently); strings like "4" still fit integers.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandling(app, opts);
  return app;
}

/** The error and not-found handlers of one scope, in `errorForm`. */
export function installErrorHandling(
  app: {
    setErrorHandler: FastifyInstance['setErrorHandler'];
    setNotFoundHandler: FastifyInstance['setNotFoundHandler'];
  },
  opts: Pick<EdgeOptions, 'name' | 'logger' | 'errorForm'>,
): void {
  app.setErrorHandler((e, request, reply) => {
    const err = edgeError(e);
    replyWithError(opts, reply, request, err, opts.errorForm(err, request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    const err = new CertError('unknown_path', `No resource at ${request.url.split('?')[0]!.slice(0, 200)}.`);
    replyWithError(opts, reply, request, err, opts.errorForm(err, request.id));
  });
}
