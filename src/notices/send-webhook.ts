// Webhook calls: one JSON POST to a URL the customer chose. The customer also controls its
// DNS, so the call is guarded like a FILE validation (src/validation/http-file.ts): the name
// is resolved once, non-public addresses are refused (SSRF: our loopback, the metadata
// service, the private network behind us), and the connection goes to the vetted address
// itself, never re-resolved, so a DNS answer that changes in between cannot redirect it.
// Redirects are not followed: only a 2xx answer counts as delivered.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { isDnsLookupError, isPublicAddress, type DnsResolver } from '../validation/index.js';

export interface WebhookCall {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** One budget for everything: resolution, connection, request and answer. */
  timeoutMs: number;
}

export type WebhookResult = { ok: true; status: number } | { ok: false; error: string };

export interface WebhookTransportDeps {
  resolver: DnsResolver;
  /** Tests only: let the call reach loopback and private addresses. */
  allowPrivateTargets: boolean;
}

/** An answer is not read past this; the status line is all that matters. */
const MAX_ANSWER_BYTES = 64 * 1024;

class ConnectFailure extends Error {}

export async function postWebhook(deps: WebhookTransportDeps, call: WebhookCall): Promise<WebhookResult> {
  const fail = (error: string): WebhookResult => ({ ok: false, error });
  let url: URL;
  try {
    url = new URL(call.url);
  } catch {
    return fail('the webhook URL is not valid');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail('the webhook URL is not http(s)');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const deadline = Date.now() + call.timeoutMs;

  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = await deps.resolver.addresses(host);
    } catch (e) {
      if (isDnsLookupError(e)) return fail(`DNS lookup for ${host} failed (${e.reason})`);
      throw e;
    }
    if (addresses.length === 0) return fail(`${host} has no A or AAAA record`);
  }
  const targets = deps.allowPrivateTargets ? addresses : addresses.filter(isPublicAddress);
  if (targets.length === 0) return fail(`${host} resolves only to non-public addresses`);

  const secure = url.protocol === 'https:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  let lastFailure = '';
  // Try each address in turn, but only past connection failures: once a server answers,
  // its answer is the result.
  for (const address of targets) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return fail(`no answer within ${call.timeoutMs} ms`);
    try {
      const status = await postOnce({
        secure,
        address,
        port,
        host,
        hostHeader: url.host,
        path: `${url.pathname}${url.search}`,
        call,
        timeoutMs: remaining,
      });
      return status >= 200 && status < 300 ? { ok: true, status } : fail(`HTTP ${status}`);
    } catch (e) {
      if (!(e instanceof ConnectFailure)) return fail((e as Error).message);
      lastFailure = `could not connect to ${host} (${address}) on port ${port}: ${e.message}`;
    }
  }
  return fail(lastFailure);
}

function postOnce(o: {
  secure: boolean;
  address: string;
  port: number;
  host: string;
  hostHeader: string;
  path: string;
  call: WebhookCall;
  timeoutMs: number;
}): Promise<number> {
  const body = Buffer.from(o.call.body, 'utf8');
  return new Promise((resolve, reject) => {
    let status: number | undefined;
    let settled = false;
    const settle = (outcome: { status: number } | { error: Error }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if ('status' in outcome) resolve(outcome.status);
      else reject(outcome.error);
    };
    const options = {
      // An IP literal: the socket connects to the vetted address without a lookup.
      host: o.address,
      port: o.port,
      method: 'POST',
      path: o.path,
      setHost: false,
      headers: {
        ...o.call.headers,
        Host: o.hostHeader,
        'Content-Length': String(body.length),
        'User-Agent': 'certdesk-notices',
        Connection: 'close',
      },
      agent: false as const,
      // TLS: SNI and certificate checks use the URL's name, not the address we connect to.
      ...(o.secure && isIP(o.host) === 0 ? { servername: o.host } : {}),
    };
    const req = o.secure ? httpsRequest(options) : httpRequest(options);
    const timer = setTimeout(
      () => settle({ error: new Error(`no answer within ${o.call.timeoutMs} ms`) }),
      o.timeoutMs,
    );
    req.on('response', (res: IncomingMessage) => {
      status = res.statusCode ?? 0;
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_ANSWER_BYTES) settle({ status: status! });
      });
      res.on('end', () => settle({ status: status! }));
      // The status line arrived: that is the answer, even if the body breaks off.
      res.on('error', () => settle({ status: status! }));
      res.on('aborted', () => settle({ status: status! }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (status !== undefined) settle({ status });
      else if (e.code?.startsWith('HPE_')) settle({ error: new Error('the answer is not valid HTTP') });
      else if (e.code?.startsWith('ERR_TLS') || /CERT|SSL|TLS/.test(e.code ?? ''))
        settle({ error: new Error(`TLS failure (${e.code})`) });
      else settle({ error: new ConnectFailure(e.code ?? 'error') });
    });
    req.end(body);
  });
}
