// What the customer and operator consoles share on their listener: form bodies, the static
// files (style sheet, htmx), the session of each request, and errors rendered as a page in
// the request's language with the CAS catalogue's Code (src/api/cas/error-codes.ts), so a
// console error names the same code an API client would see.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CertError } from '../../domain/errors.js';
import type { Logger } from '../../domain/ports.js';
import type { Actor } from '../../domain/audit.js';
import type { ConsoleSession } from '../../accounts/console-sessions.js';
import { CAS_ERROR_CODES } from '../cas/error-codes.js';
import { policyAllows } from '../../policy/action-policy.js';
import { edgeError } from '../edge/errors.js';
import { causeOf } from '../edge/render.js';
import { translator } from './i18n.js';
import { cookies, parseForm, requestLang, SECURITY_HEADERS, SESSION_COOKIE } from './http.js';
import { sendPage, type PageContext } from './layout.js';
import { CONSOLE_CSS } from './style.js';

export interface ConsoleAssets {
  /** htmx.org's dist/htmx.min.js, read by src/app from node_modules (no CDN: the CSP allows 'self' only). */
  htmx: Buffer;
}

export interface ShellOptions {
  name: string;
  logger: Logger;
  assets: ConsoleAssets;
  kind: 'customer' | 'operator';
  resolveSession(token: string): Promise<ConsoleSession | undefined>;
}

const sessions = new WeakMap<FastifyRequest, ConsoleSession>();

/** The request's session, when signed in to this console's kind. */
export function sessionOf(req: FastifyRequest): ConsoleSession | undefined {
  return sessions.get(req);
}

/**
 * Who a console request acts as, for the audit trail (domain/audit.ts): the operator (come in
 * through the console), the AccessKey a customer signed in with, or the account itself when a
 * one-time link opened the session. The front end binds the use cases to it per request
 * (`actingAs`), as the CAS gateway and the operator API do.
 */
export function consoleActor(req: FastifyRequest, s: ConsoleSession): Actor {
  if (s.kind === 'operator') return { kind: 'operator', id: 'console', remoteAddress: req.ip };
  if (s.accessKeyId !== null) return { kind: 'access_key', id: s.accessKeyId, remoteAddress: req.ip };
  return { kind: 'account', id: String(s.accountId), remoteAddress: req.ip };
}

/** The page context of a request (language from ?lang=, the cookie or Accept-Language). */
export function pageContext(req: FastifyRequest, reply: FastifyReply, nav: PageContext['nav']): PageContext {
  const lang = requestLang(req, reply);
  const s = sessionOf(req);
  return {
    t: translator(lang),
    lang,
    path: req.url.split('?')[0]!,
    nav: s ? nav : 'none',
    csrf: s?.csrf,
    readOnly: s ? !policyAllows(s.policy, 'CreateCertificateForPackageRequest') : false,
  };
}

/** The console's statuses: the CAS table's, except that a page not found is a 404. */
export function consoleStatus(err: CertError): number {
  if (err.kind === 'not_found') return 404;
  return CAS_ERROR_CODES[err.kind].status;
}

export function sendError(req: FastifyRequest, reply: FastifyReply, opts: ShellOptions, err: CertError) {
  const status = consoleStatus(err);
  if (status >= 500)
    opts.logger.log('error', `${opts.name} console request failed`, {
      requestId: req.id,
      method: req.method,
      path: req.url.split('?')[0],
      error: causeOf(err),
    });
  const ctx = pageContext(req, reply, opts.kind);
  const { t } = ctx;
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
  return sendPage(
    reply,
    ctx,
    t('error.title'),
    <>
      <div class="error" role="alert">
        <p>{status >= 500 ? 'The request processing has failed due to some unknown error.' : err.message}</p>
        <p>
          {t('error.code')}: <code>{CAS_ERROR_CODES[err.kind].code}</code> · {t('error.requestId')}:{' '}
          <code>{req.id}</code>
        </p>
      </div>
      <p>
        <a href="/console/">{t('error.back')}</a>
      </p>
    </>,
    status,
  );
}

export async function installShell(app: FastifyInstance, opts: ShellOptions): Promise<void> {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });
  app.setErrorHandler((e, req, reply) => sendError(req, reply, opts, edgeError(e)));
  app.setNotFoundHandler((req, reply) =>
    sendError(
      req,
      reply,
      opts,
      new CertError('unknown_path', `No console page at ${req.url.split('?')[0]!.slice(0, 200)}.`),
    ),
  );
  app.addHook('preHandler', async (req) => {
    const token = cookies(req)[SESSION_COOKIE];
    if (!token) return;
    const s = await opts.resolveSession(token);
    if (s && s.kind === opts.kind) sessions.set(req, s);
  });
  const asset = (type: string, body: string | Buffer) => (_req: FastifyRequest, reply: FastifyReply) =>
    reply
      .headers({ ...SECURITY_HEADERS, 'cache-control': 'public, max-age=3600' })
      .type(type)
      .send(body);
  app.get('/static/console.css', asset('text/css; charset=utf-8', CONSOLE_CSS));
  app.get('/static/htmx.min.js', asset('text/javascript; charset=utf-8', opts.assets.htmx));
}
