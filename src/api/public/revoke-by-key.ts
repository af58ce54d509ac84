// POST /v1/revoke-by-key: revocation by proof of key possession (src/orders/revoke-by-key.ts).
// JSON in, JSON out, errors in CAS form so one client library reads both APIs.
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CertError } from '../../domain/errors.js';
import type { OrderEngine } from '../../orders/engine.js';

const MAX_BODY_BYTES = 64 * 1024;

const Body = Type.Object(
  {
    Certificate: Type.String({ minLength: 1, maxLength: 32 * 1024 }),
    Reason: Type.Optional(Type.String({ maxLength: 64 })),
    Timestamp: Type.String({ minLength: 1, maxLength: 64 }),
    Signature: Type.String({ minLength: 1, maxLength: 4096 }),
  },
  { additionalProperties: false },
);

export function revokeByKeyHandler(orders: Pick<OrderEngine, 'actingAs'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/revoke-by-key',
      {
        bodyLimit: MAX_BODY_BYTES,
        schema: { body: Body },
        // Older clients post the JSON without a Content-Type: it arrives as bytes here.
        preValidation: async (req) => {
          if (!Buffer.isBuffer(req.body)) return;
          try {
            req.body = JSON.parse(req.body.toString('utf8')) as never;
          } catch {
            throw new CertError('invalid_parameter', 'The request body must be a JSON object.');
          }
        },
      },
      async (req) => {
        // Whoever holds the key; the audit trail records the address it came from.
        const r = await orders.actingAs({ kind: 'relying_party', id: null, remoteAddress: req.ip }).revokeWithKeyProof({
          certificatePem: req.body.Certificate,
          reason: req.body.Reason || 'unspecified',
          timestamp: req.body.Timestamp,
          signature: req.body.Signature,
        });
        return { RequestId: req.id, CertificateId: r.certificateId, SerialNo: r.serial };
      },
    );
  };
}
