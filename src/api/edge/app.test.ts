// The edge's one error path: whatever a route throws, whatever the framework refuses, the
// answer is in the front end's form, and every 5xx is logged with its cause (never a 4xx).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Type from 'typebox';
import type { InjectOptions } from 'fastify';
import { CertError } from '../../domain/errors.js';
import type { Logger, LogLevel } from '../../domain/ports.js';
import { createEdgeApp } from './app.js';
import { clientErrorHandler } from './client-error.js';
import type { ErrorForm } from './render.js';

const form: ErrorForm = (err, requestId) => ({
  status: err.kind === 'internal' ? 500 : err.kind === 'unknown_path' ? 404 : err.kind === 'too_large' ? 413 : 400,
  code: err.kind,
  body: { id: requestId, kind: err.kind, message: err.message },
  headers: { 'x-form': 'test' },
});

function edge() {
  const lines: Array<{ level: LogLevel; msg: string; fields?: Record<string, unknown> }> = [];
  const logger: Logger = { log: (level, msg, fields) => void lines.push({ level, msg, fields }), enabled: () => true };
  const app = createEdgeApp({
    name: 'test',
    logger,
    errorForm: form,
    bodyLimit: 1024,
    serverFactory: (handler) => http.createServer(handler),
    clientErrorHandler: clientErrorHandler({ form, logger, name: 'test' }),
  });
  app.get('/boom', async () => {
    throw new TypeError('database said no: password=secret in a driver message');
  });
  app.get('/refused', async () => {
    throw new CertError('not_found', 'No such thing.');
  });
  app.post(
    '/things',
    { schema: { body: Type.Object({ Name: Type.String({ minLength: 1 }) }, { additionalProperties: false }) } },
    async (req) => ({ got: req.body.Name }),
  );
  return { app, lines };
}

test('an unknown error is rendered as internal, its cause logged once with the request id', async () => {
  const { app, lines } = edge();
  const r = await app.inject({ method: 'GET', url: '/boom?AccessKeySecret=abc' });
  assert.equal(r.statusCode, 500);
  assert.equal(r.headers['x-form'], 'test');
  const body = r.json();
  assert.equal(body.kind, 'internal');
  assert.doesNotMatch(r.body, /database said no|secret/);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'error');
  assert.equal(lines[0]!.fields?.requestId, body.id);
  assert.equal(lines[0]!.fields?.path, '/boom');
  assert.match(String(lines[0]!.fields?.error), /TypeError: database said no/);
  assert.doesNotMatch(JSON.stringify(lines), /AccessKeySecret=abc/);
});

test('refusals are rendered in the form and not logged as errors', async () => {
  const { app, lines } = edge();
  const cases: Array<[InjectOptions, number, string, RegExp]> = [
    [{ method: 'GET', url: '/refused' }, 400, 'not_found', /No such thing/],
    [{ method: 'GET', url: '/nowhere' }, 404, 'unknown_path', /No resource at \/nowhere/],
    [{ method: 'POST', url: '/things', payload: {} }, 400, 'missing_parameter', /The field Name is required/],
    [{ method: 'POST', url: '/things', payload: { Name: '' } }, 400, 'missing_parameter', /Name is required/],
    [
      { method: 'POST', url: '/things', payload: { Name: 'a', Extra: 1 } },
      400,
      'invalid_parameter',
      /unknown field Extra/,
    ],
    [
      { method: 'POST', url: '/things', payload: '{bad', headers: { 'content-type': 'application/json' } },
      400,
      'invalid_parameter',
      /must be a JSON object/,
    ],
    [{ method: 'POST', url: '/things', payload: { Name: 'x'.repeat(2000) } }, 413, 'too_large', /too large/],
  ];
  for (const [req, status, kind, message] of cases) {
    const r = await app.inject(req);
    assert.equal(r.statusCode, status, JSON.stringify(req));
    assert.equal(r.json().kind, kind, JSON.stringify(req));
    assert.match(r.json().message, message);
  }
  assert.equal((await app.inject({ method: 'POST', url: '/things', payload: { Name: 'ok' } })).json().got, 'ok');
  assert.deepEqual(lines, []);
});
