// The CAS RPC gateway: authenticate one request, run its action, answer in CAS form.
// Checks run in order of cost: known action and version, the AccessKey,
// the content hash, the timestamp window, the signature in constant time and the key's
// policy, all in memory; then the two store writes, in one statement: the nonce (remembered
// in the store, so a reuse is caught across processes) and the account's rate counter.
// The signature comes before the nonce because it is the cheaper of the two and because a
// request whose signature fails must not write to the store at all (it would let anyone who
// knows an AccessKeyId fill the nonce table, or burn a client's nonces). A reading action
// runs beside those two writes; its answer is dropped if either refuses the request.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CertError } from '../../domain/errors.js';
import type { Actor } from '../../domain/audit.js';
import type { AccountService } from '../../accounts/service.js';
import type { OrderEngine } from '../../orders/engine.js';
import { policyAllows, ramActionName } from '../../policy/action-policy.js';
import type { CasAction, CasDeps } from './action.js';
import { decodeParams } from './params.js';
import { JSON_TYPE, renderCasError, toCertError } from './render.js';
import {
  checkContentHash,
  parseAcsTimestamp,
  parseSignedRequest,
  verifySignature,
  type SignedRequest,
} from './signature.js';
import { redactParams } from './redact.js';
import { checkRequestText } from './text-params.js';

export const CAS_API_VERSION = '2020-04-07';

export interface GatewayOptions {
  deps: CasDeps;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one table of differently typed actions
  actions: ReadonlyMap<string, CasAction<any>>;
  hostId: string;
  /** Largest body accepted (--body-limit); a larger one is answered 413 in CAS form. */
  bodyLimit: number;
}

/** What the gateway reads of an HTTP request, whatever server carried it. */
export interface CasHttpRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  /** The client's address, for the audit trail. */
  remoteAddress?: string;
}

export interface CasReply {
  status: number;
  headers: Record<string, string>;
  text: string;
}

const EMPTY_BODY = Buffer.alloc(0);

/** The client went away before its body ended: nobody to answer, nothing went wrong here. */
class ClientGone extends Error {}

/**
 * Reads the body up to `limit`. Over it: resolves to a too_large CertError at once, and keeps
 * reading (dropping) the rest so that the client, still sending, reads the 413 instead of a
 * reset (the request timeout bounds how long).
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | CertError> | Buffer {
  // No body (the SDK sends every parameter in the query): nothing to wait for, no listeners to
  // add. node:http discards the (empty) rest of the message when the response ends.
  const length = req.headers['content-length'];
  if (length === '0' || (length === undefined && req.headers['transfer-encoding'] === undefined)) return EMPTY_BODY;
  return new Promise((resolve, reject) => {
    const tooLarge = () => new CertError('too_large', `The request body is larger than ${limit} bytes.`);
    const declared = Number(length);
    if (declared > limit) {
      req.resume();
      resolve(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(size === 0 ? EMPTY_BODY : Buffer.concat(chunks)));
    req.on('aborted', () => reject(new ClientGone()));
    req.on('error', (e) => reject(req.destroyed && !req.complete ? new ClientGone() : e));
  });
}

interface Authenticated {
  signed: SignedRequest;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as in GatewayOptions.actions
  action: CasAction<any>;
  actionName: string;
  accountId: number;
  nonce: string;
  rememberNonceUntil: number;
}

async function authenticate(
  opts: GatewayOptions,
  req: CasHttpRequest,
  body: Buffer,
  seen: { action?: string },
): Promise<Authenticated> {
  const { deps } = opts;
  const signed = parseSignedRequest({
    method: req.method,
    rawUrl: req.url,
    rawHeaders: req.rawHeaders,
    body,
  });
  // Before anything reaches a store (the AccessKey lookup, the nonce): no control characters.
  checkRequestText(signed);
  seen.action = signed.action; // so that metrics count a refused request under the action it asked for
  if (!signed.action)
    throw new CertError('missing_parameter', 'The action is missing (x-acs-action header or Action parameter).');
  const action = opts.actions.get(signed.action);
  if (!action)
    throw new CertError('unknown_action', `The specified action ${signed.action.slice(0, 64)} is not valid.`);
  if (signed.version !== CAS_API_VERSION) {
    throw new CertError(
      'unsupported_version',
      `The specified version is not valid: certdesk serves ${CAS_API_VERSION}.`,
    );
  }
  // certdesk issues no STS tokens; a token it cannot check must not be ignored silently.
  if (signed.securityToken)
    throw new CertError('invalid_parameter', 'STS security tokens are not supported by certdesk.');

  const key = await deps.accounts.findAccessKeyCredential(signed.accessKeyId);
  if (!key) throw new CertError('access_key_not_found', 'Specified access key is not found.');
  if (!key.enabled) throw new CertError('access_key_disabled', 'Specified access key is disabled.');

  checkContentHash(signed, body);

  const sentAt = parseAcsTimestamp(signed.timestamp);
  const now = deps.clock.now();
  if (Math.abs(now - sentAt) > deps.timestampWindowMs) {
    throw new CertError('timestamp_expired', 'The specified timestamp or date header is expired or not yet valid.');
  }
  if (!signed.nonce) throw new CertError('missing_parameter', 'The signature nonce is missing.');
  if (signed.nonce.length > 128)
    throw new CertError('invalid_parameter', 'The signature nonce is longer than 128 characters.');

  if (!verifySignature(signed, key.secret)) {
    throw new CertError('signature_mismatch', 'Specified signature does not match our calculation.');
  }

  if (!policyAllows(key.policy, signed.action)) {
    throw new CertError(
      'forbidden_by_policy',
      `The AccessKey is not authorized to call ${ramActionName(signed.action)}.`,
      {
        detail: {
          AuthAction: ramActionName(signed.action),
          AuthPrincipalType: 'AccessKey',
          AuthPrincipalDisplayName: key.accessKeyId,
          PolicyType: 'AccessKeyPolicy',
          NoPermissionType: 'ImplicitDeny',
          EncodedDiagnosticMessage: '',
        },
      },
    );
  }
  // A nonce only needs remembering while its timestamp is acceptable: after that the date check refuses a replay.
  const rememberNonceUntil = Math.max(now, sentAt) + deps.timestampWindowMs;
  return {
    signed,
    action,
    actionName: signed.action,
    accountId: key.accountId,
    nonce: signed.nonce,
    rememberNonceUntil,
  };
}

/**
 * The store's two verdicts on an authenticated request, asked in one statement (grouped with
 * other requests' by store/batcher.ts): the nonce must be new, and the account under the
 * action's rate limit. A reused nonce is reported before throttling.
 */
async function admit(deps: CasDeps, auth: Authenticated): Promise<void> {
  const ticket = deps.rateLimiter.begin(auth.accountId, auth.actionName);
  let verdict;
  try {
    verdict = await deps.admissions.repos.admissions.admit({
      nonce: { accessKeyId: auth.signed.accessKeyId, nonce: auth.nonce, expiresAt: auth.rememberNonceUntil },
      hit: ticket.hit,
      durable: !auth.action.reads,
    });
  } catch (e) {
    ticket.cancel();
    throw e;
  }
  const refused = ticket.settle(verdict.count);
  if (!verdict.fresh) throw new CertError('nonce_reused', 'Specified signature nonce was used already.');
  if (refused) throw refused;
}

/**
 * The deps one client's actions run with: the use cases act for its AccessKey, so what they
 * change is audited as done by it (domain/audit.ts). Bound on first use (an action uses one
 * of the two services, often only to read).
 */
function depsActingFor(deps: CasDeps, actor: Actor): CasDeps {
  let orders: OrderEngine | undefined;
  let accounts: AccountService | undefined;
  return {
    ...deps,
    get orders() {
      return (orders ??= deps.orders.actingAs(actor));
    },
    get accounts() {
      return (accounts ??= deps.accounts.actingAs(actor));
    },
  };
}

/** Clients whose acting deps are kept; past it the table starts again (a flood of addresses costs nothing more). */
const ACTING_CLIENTS = 1024;

/**
 * The acting deps of each client (AccessKey and address) as the gateway meets them, kept for
 * its next requests: binding them anew (an engine, an acting store, its audit repository) was
 * 1.4 KB of garbage per request. They name who acts and grant nothing: every request is
 * authenticated before its client's deps are used.
 */
function actingDepsTable(deps: CasDeps): (accessKeyId: string, remoteAddress: string | undefined) => CasDeps {
  const byClient = new Map<string, CasDeps>();
  return (accessKeyId, remoteAddress) => {
    // An AccessKeyId is printable ASCII without spaces (text-params.ts): the key is unambiguous.
    const key = remoteAddress === undefined ? accessKeyId : `${accessKeyId} ${remoteAddress}`;
    let acting = byClient.get(key);
    if (acting === undefined) {
      if (byClient.size >= ACTING_CLIENTS) byClient.clear();
      acting = depsActingFor(deps, { kind: 'access_key', id: accessKeyId, remoteAddress: remoteAddress ?? null });
      byClient.set(key, acting);
    }
    return acting;
  };
}

export interface CasGateway {
  /** Answers one request whose body was read (or refused: too_large) by the server adapter. */
  answer(req: CasHttpRequest, body: Buffer | CertError): Promise<CasReply>;
  /** The node:http adapter: reads the body within the limit, answers, logs a vanished client at info. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createCasGateway(opts: GatewayOptions): CasGateway {
  const { deps } = opts;
  const actingDeps = actingDepsTable(deps);
  async function answer(req: CasHttpRequest, body: Buffer | CertError): Promise<CasReply> {
    const started = process.hrtime.bigint();
    const requestId = randomUUID().toUpperCase();
    let actionName: string | undefined;
    let accessKeyId: string | undefined;
    let params: ReadonlyMap<string, string> | undefined;
    let status = 200;
    let code = 'OK';
    const seen: { action?: string } = {};
    try {
      if (req.method !== 'POST' && req.method !== 'GET') {
        throw new CertError('unsupported_method', 'The HTTP method is not supported: use POST.');
      }
      if (!Buffer.isBuffer(body)) throw body;
      const auth = await authenticate(opts, req, body, seen);
      actionName = auth.actionName;
      accessKeyId = auth.signed.accessKeyId;
      params = auth.signed.params;
      const admitted = admit(deps, auth);
      admitted.catch(() => {}); // awaited below on every path; this only keeps Node from calling it unhandled meanwhile
      if (!auth.action.reads) await admitted;
      let result;
      try {
        const decoded = decodeParams(auth.action.params, auth.signed.params);
        result = await auth.action.run(
          {
            requestId,
            accountId: auth.accountId,
            accessKeyId: auth.signed.accessKeyId,
            // The audit trail records what this AccessKey did, from where (domain/audit.ts).
            deps: actingDeps(auth.signed.accessKeyId, req.remoteAddress),
            raw: auth.signed.params,
            admitted,
          },
          decoded,
        );
      } finally {
        // A refused request (nonce reused, throttled) gets that answer, whatever a reading action found meanwhile.
        await admitted;
      }
      return { status: 200, headers: {}, text: JSON.stringify({ RequestId: requestId, ...result }) };
    } catch (e) {
      const err = toCertError(e);
      const rendered = renderCasError(err, requestId, opts.hostId);
      status = rendered.status;
      code = rendered.code;
      if (err.kind === 'internal') {
        deps.logger.log('error', 'cas request failed', {
          requestId,
          action: actionName,
          error: String((err.cause as Error)?.stack ?? err.cause),
        });
      }
      return { status, headers: rendered.headers, text: JSON.stringify(rendered.body) };
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.observe?.(seen.action ?? 'unknown', code, status, ms / 1000);
      if (deps.logger.enabled?.('info') ?? true)
        deps.logger.log('info', 'cas request', {
          requestId,
          action: actionName,
          accessKeyId,
          status,
          code,
          ms: Math.round(ms * 100) / 100,
          ...(params ? { params: redactParams(params) } : {}),
        });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer | CertError;
    try {
      const read = readBody(req, opts.bodyLimit);
      body = Buffer.isBuffer(read) ? read : await read;
    } catch (e) {
      if (!(e instanceof ClientGone)) throw e;
      // Not an InternalError: the client closed the connection before its body ended.
      deps.logger.log('info', 'cas client disconnected before its request body ended', {
        method: req.method,
        bytesExpected: req.headers['content-length'],
      });
      return;
    }
    const reply = await answer(
      {
        method: req.method ?? 'POST',
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}),
      },
      body,
    );
    if (res.headersSent || res.destroyed) return;
    res.writeHead(reply.status, {
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(reply.text),
      ...reply.headers,
    });
    res.end(reply.text);
  }

  return { answer, handle };
}
