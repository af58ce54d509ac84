// What every console request shares: cookies, the language, the security headers, form
// bodies, and the checks a state-changing request passes (OWASP CSRF Prevention Cheat Sheet:
// a per-session token in every form, plus Origin / Sec-Fetch-Site, plus SameSite=Strict).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CertError } from '../../domain/errors.js';
import { isLang, langFromAcceptLanguage, type Lang } from './i18n.js';

export const SESSION_COOKIE = 'cd_session';
export const PRE_COOKIE = 'cd_pre';
export const LANG_COOKIE = 'cd_lang';

/**
 * No inline script or style anywhere: scripts and styles come from /console/static/ only
 * (CSP Level 3 `script-src 'self'`). Framing is refused (clickjacking); the referrer goes to
 * this origin only, so a sign-in link's token cannot leak to another site (`no-referrer`
 * would make browsers send `Origin: null` with the console's own forms).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
});

export function cookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (!(name in out)) out[name] = part.slice(i + 1).trim();
  }
  return out;
}

/** RFC 6265 §4.1: HttpOnly, SameSite=Strict, Path=/console, Secure when served over TLS. */
export function setCookie(
  reply: FastifyReply,
  req: FastifyRequest,
  name: string,
  value: string,
  maxAgeSeconds?: number,
): void {
  const parts = [`${name}=${value}`, 'Path=/console', 'HttpOnly', 'SameSite=Strict'];
  if (req.protocol === 'https') parts.push('Secure');
  if (maxAgeSeconds !== undefined) parts.push(`Max-Age=${maxAgeSeconds}`);
  const prev = reply.getHeader('set-cookie');
  const list = Array.isArray(prev) ? prev.map(String) : prev === undefined ? [] : [String(prev)];
  reply.header('set-cookie', [...list.filter((c) => !c.startsWith(`${name}=`)), parts.join('; ')]);
}

/** `?lang=` (remembered in a cookie), else the cookie, else Accept-Language. */
export function requestLang(req: FastifyRequest, reply: FastifyReply): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(q)) {
    setCookie(reply, req, LANG_COOKIE, q, 365 * 86400);
    return q;
  }
  const c = cookies(req)[LANG_COOKIE];
  if (isLang(c)) return c;
  return langFromAcceptLanguage(req.headers['accept-language']);
}

export type Form = Record<string, string>;

/** application/x-www-form-urlencoded (HTML 5.2 §4.10.21.7): the last value of a repeated field wins. */
export function parseForm(body: string): Form {
  const out: Form = Object.create(null) as Form;
  for (const [k, v] of new URLSearchParams(body)) out[k] = v;
  return out;
}

export function formOf(req: FastifyRequest): Form {
  const b = req.body;
  return b && typeof b === 'object' ? (b as Form) : {};
}

function sameText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/**
 * A state-changing request must come from a console page: Sec-Fetch-Site same-origin when the
 * browser sends it (Fetch Metadata), an Origin naming this host when sent, and the form's
 * token equal to the session's (or, before sign-in, to the pre-session cookie).
 */
export function checkFormOrigin(req: FastifyRequest, expectedToken: string | undefined): void {
  const refuse = () =>
    new CertError('forbidden_by_policy', 'The form did not come from this console page; reload it and try again.');
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') throw refuse();
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${req.protocol}://${req.headers.host ?? ''}`) throw refuse();
  const sent = formOf(req)._csrf;
  if (!expectedToken || typeof sent !== 'string' || sent === '' || !sameText(sent, expectedToken)) throw refuse();
}

/** The pre-session token of the sign-in forms (double-submit cookie), made on first sight. */
export function preSessionToken(req: FastifyRequest, reply: FastifyReply): string {
  const have = cookies(req)[PRE_COOKIE];
  if (have && /^[0-9a-f]{32}$/.test(have)) return have;
  const made = randomBytes(16).toString('hex');
  setCookie(reply, req, PRE_COOKIE, made);
  return made;
}

/**
 * Failed sign-in attempts per client address: past `limit` failures in a fixed one-minute
 * window, the address may not try again until the window ends (OWASP Authentication Cheat
 * Sheet, "Protect against automated attacks"). Built in src/app, one per process.
 */
export class SignInLimiter {
  private readonly failures = new Map<string, { windowStart: number; count: number }>();
  constructor(
    private readonly limit: number,
    private readonly now: () => number,
    private readonly windowMs = 60_000,
  ) {}

  private current(client: string): { windowStart: number; count: number } | undefined {
    const f = this.failures.get(client);
    if (f && this.now() - f.windowStart < this.windowMs) return f;
    if (f) this.failures.delete(client);
    return undefined;
  }

  /** Throws `throttled` while the address is over the limit. */
  check(client: string): void {
    const f = this.current(client);
    if (f && f.count >= this.limit) {
      const wait = Math.max(1, Math.ceil((f.windowStart + this.windowMs - this.now()) / 1000));
      throw new CertError('throttled', `Too many failed sign-in attempts; try again in ${wait} s.`, {
        retryAfterSeconds: wait,
      });
    }
  }

  /** Counts a failed attempt. */
  fail(client: string): void {
    const f = this.current(client);
    if (f) f.count += 1;
    else {
      if (this.failures.size > 10_000) this.failures.clear(); // bounded memory under a spray of addresses
      this.failures.set(client, { windowStart: this.now(), count: 1 });
    }
  }

  /** Runs a sign-in attempt: refused while over the limit, counted when it fails. */
  async attempt<T>(client: string, fn: () => Promise<T>): Promise<T> {
    this.check(client);
    try {
      return await fn();
    } catch (e) {
      this.fail(client);
      throw e;
    }
  }
}
