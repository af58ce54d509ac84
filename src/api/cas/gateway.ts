// The CAS RPC gateway: authenticate one request, run its action, answer in CAS form.
// Checks run in order of cost (issue 2, item 4): known action and version, the AccessKey,
// the content hash, the timestamp window, the signature in constant time and the key's
// policy, all in memory; then the two store writes, in one statement: the nonce (remembered
// in the store, so a reuse is caught across processes) and the account's rate counter (issue 5).
// The signature comes before the nonce because it is the cheaper of the two and because a
// request whose signature fails must not write to the store at all (it would let anyone who
// knows an AccessKeyId fill the nonce table, or burn a client's nonces). A reading action
// runs beside those two writes; its answer is dropped if either refuses the request.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CertError } from '../../domain/errors.js';
import { findAccessKeyCredential } from '../../accounts/access-keys.js';
import { policyAllows, ramActionName } from '../../policy/action-policy.js';
import type { CasAction, CasDeps } from './action.js';
import { decodeParams } from './params.js';
import { renderCasError, sendJson, toCertError } from './render.js';
import {
  checkContentHash,
  parseAcsTimestamp,
  parseSignedRequest,
  verifySignature,
  type SignedRequest,
} from './signature.js';
import { redactParams } from './redact.js';
import { rateLimiterFor } from './throttle.js';

export const CAS_API_VERSION = '2020-04-07';
const MAX_BODY_BYTES = 1 << 20;

export interface GatewayOptions {
  deps: CasDeps;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one table of differently typed actions
  actions: ReadonlyMap<string, CasAction<any>>;
  hostId: string;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new CertError('invalid_parameter', 'The request body is too large.'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(size === 0 ? Buffer.alloc(0) : Buffer.concat(chunks)));
    req.on('error', reject);
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
  req: IncomingMessage,
  body: Buffer,
  seen: { action?: string },
): Promise<Authenticated> {
  const { deps } = opts;
  const signed = parseSignedRequest({
    method: req.method ?? 'POST',
    rawUrl: req.url ?? '/',
    rawHeaders: req.rawHeaders,
    body,
  });
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

  const key = await findAccessKeyCredential(deps.accounts, signed.accessKeyId);
  if (!key) throw new CertError('access_key_not_found', 'Specified access key is not found.');
  if (!key.enabled) throw new CertError('access_key_disabled', 'Specified access key is disabled.');

  checkContentHash(signed, body);

  const sentAt = parseAcsTimestamp(signed.timestamp);
  const now = deps.accounts.clock.now();
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
  const ticket = rateLimiterFor(deps).begin(auth.accountId, auth.actionName);
  let verdict;
  try {
    verdict = await deps.accounts.store.repos.admissions.admit({
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

export function createCasHandler(opts: GatewayOptions) {
  const { deps } = opts;
  return async function handleCasRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
      const body = await readBody(req);
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
            deps,
            raw: auth.signed.params,
            admitted,
          },
          decoded,
        );
      } finally {
        // A refused request (nonce reused, throttled) gets that answer, whatever a reading action found meanwhile.
        await admitted;
      }
      sendJson(res, 200, { RequestId: requestId, ...result });
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
      if (!res.headersSent) sendJson(res, rendered.status, rendered.body, rendered.headers);
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
  };
}
