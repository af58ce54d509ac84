// One server process for bench/edge.ts (argv[2] names the variant):
// - node / fastify: an operator-style route (POST a JSON body, 201 JSON back) served by a
//   hand-written node:http router with hand-written checks (what src/api/admin/ was) or by
//   fastify with a TypeBox schema (what it is now);
// - cas-node / cas-fastify: a CAS-shaped request (POST / with the SDK's signed headers, empty
//   body, a DescribeCertificateState-sized JSON answer) reaching a fixed-answer gateway either
//   on node:http before fastify (src/app/edge.ts's RawRoute, as certdesk serves it) or as a
//   fastify route with the body read by fastify. Only the HTTP layer differs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Type from 'typebox';
import { createEdgeApp } from '../src/api/edge/app.js';
import { clientErrorHandler } from '../src/api/edge/client-error.js';
import { casErrorForm } from '../src/api/cas/render.js';
import { silentLogger } from '../src/app/logger.js';
import { createNodeServer } from '../src/app/listeners.js';

const variant = process.argv[2]!;
const limits = {
  headerLimit: 72 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 1000,
};
const CAS_ANSWER = JSON.stringify({
  RequestId: '7E2F0E1C-0000-4000-8000-000000000000',
  Type: 'certificate',
  Domain: 'www.example.com',
  Certificate: 'A'.repeat(700),
  PrivateKey: 'B'.repeat(240),
});

function reply(id: number, b: { Name: string; Email: string; Mobile: string }) {
  return { RequestId: 'R', ContactId: 1, AccountId: id, Name: b.Name, Email: b.Email, Mobile: b.Mobile };
}

const ready = (server: http.Server) => process.stdout.write(`${(server.address() as AddressInfo).port}\n`);

if (variant === 'node') {
  const route = /^\/v1\/accounts\/(\d+)\/contacts$/;
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json;charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    const m = req.method === 'POST' ? route.exec(req.url ?? '') : null;
    if (!m) return send(404, { Code: 'NotFound' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let b: Record<string, unknown>;
      try {
        b = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return send(400, { Code: 'InvalidParameter' });
      }
      for (const f of ['Name', 'Email', 'Mobile'])
        if (typeof b[f] !== 'string' || b[f] === '') return send(400, { Code: 'MissingParameter' });
      send(201, reply(Number(m[1]), b as { Name: string; Email: string; Mobile: string }));
    });
  });
  server.listen(0, '127.0.0.1', () => ready(server));
} else {
  let server: http.Server | undefined;
  const form = casErrorForm('bench');
  const app = createEdgeApp({
    name: 'bench',
    logger: silentLogger,
    errorForm: form,
    bodyLimit: 1024 * 1024,
    clientErrorHandler: clientErrorHandler({ form, logger: silentLogger, name: 'bench' }),
    serverFactory: (handler) => {
      server = createNodeServer({
        limits,
        handler:
          variant === 'cas-node'
            ? (req, res) => {
                const url = req.url ?? '/';
                if (!(url === '/' || url.startsWith('/?'))) return handler(req, res);
                // As the CAS gateway's node:http adapter: read the body, answer.
                const chunks: Buffer[] = [];
                req.on('data', (c: Buffer) => chunks.push(c));
                req.on('end', () => {
                  res.writeHead(200, {
                    'content-type': 'application/json;charset=utf-8',
                    'content-length': Buffer.byteLength(CAS_ANSWER),
                  });
                  res.end(CAS_ANSWER);
                });
              }
            : handler,
      });
      return server;
    },
  });
  if (variant === 'fastify')
    app.post(
      '/v1/accounts/:id/contacts',
      {
        schema: {
          params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
          body: Type.Object(
            {
              Name: Type.String({ minLength: 1, maxLength: 256 }),
              Email: Type.String({ minLength: 1, maxLength: 256 }),
              Mobile: Type.String({ minLength: 1, maxLength: 64 }),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, rep) => {
        rep.code(201);
        return reply(req.params.id, req.body);
      },
    );
  if (variant === 'cas-fastify')
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
      scope.route({
        method: ['GET', 'POST'],
        url: '/',
        handler: async (_req, rep) =>
          rep.code(200).header('content-type', 'application/json;charset=utf-8').send(CAS_ANSWER),
      });
    });
  await app.ready();
  server!.listen(0, '127.0.0.1', () => ready(server!));
}
