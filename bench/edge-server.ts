// One server process for bench/edge.ts: the same operator-style route (POST a JSON body, get
// 201 JSON back) served by a hand-written node:http router with hand-written body checks (what
// src/api/admin/ was) or by fastify with a TypeBox schema (what it is now). argv[2]: variant.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import Type from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

const variant = process.argv[2];
const reply = (id: number, b: { Name: string; Email: string; Mobile: string }) => ({
  RequestId: 'R',
  ContactId: 1,
  AccountId: id,
  Name: b.Name,
  Email: b.Email,
  Mobile: b.Mobile,
});

function ready(port: number): void {
  process.stdout.write(`${port}\n`);
}

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
  server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
} else {
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
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
  await app.listen({ port: 0, host: '127.0.0.1' });
  ready((app.server.address() as AddressInfo).port);
}
