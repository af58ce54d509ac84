// The page frame every console page shares, and the one way a page leaves the server:
// preact-render-to-string escapes every text and attribute value, so no page can carry
// markup from data (a domain, a reason, a company name) unescaped.
import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { FastifyReply } from 'fastify';
import { LANGS, type Lang, type Translate } from './i18n.js';
import { SECURITY_HEADERS } from './http.js';

export interface PageContext {
  t: Translate;
  lang: Lang;
  /** The request path without the query, for the language switch. */
  path: string;
  /** 'customer' or 'operator' when signed in: which navigation to show. */
  nav: 'customer' | 'operator' | 'none';
  csrf?: string;
  /** A session whose AccessKey may not apply: the Apply link is not shown. */
  readOnly?: boolean;
}

const LANG_NAMES: Record<Lang, string> = { en: 'English', 'zh-CN': '中文' };

function CustomerNav({ t, readOnly }: { t: Translate; readOnly: boolean }) {
  return (
    <ul>
      <li>
        <a href="/console/">{t('nav.overview')}</a>
      </li>
      {!readOnly && (
        <li>
          <a href="/console/apply">{t('nav.apply')}</a>
        </li>
      )}
      <li>
        <a href="/console/certificates">{t('nav.certificates')}</a>
      </li>
      <li>
        <a href="/console/calendar">{t('nav.calendar')}</a>
      </li>
      <li>
        <a href="/console/contacts">{t('nav.contacts')}</a>
      </li>
      <li>
        <a href="/console/companies">{t('nav.companies')}</a>
      </li>
      <li>
        <a href="/console/webhooks">{t('nav.webhooks')}</a>
      </li>
      <li>
        <a href="/console/keys">{t('nav.keys')}</a>
      </li>
    </ul>
  );
}

function OperatorNav({ t }: { t: Translate }) {
  return (
    <ul>
      <li>
        <a href="/console/">{t('nav.review')}</a>
      </li>
      <li>
        <a href="/console/accounts">{t('nav.accounts')}</a>
      </li>
      <li>
        <a href="/console/revoke">{t('nav.revoke')}</a>
      </li>
      <li>
        <a href="/console/ca">{t('nav.ca')}</a>
      </li>
      <li>
        <a href="/console/jobs">{t('nav.jobs')}</a>
      </li>
    </ul>
  );
}

/** Every form's hidden CSRF field. */
export function Csrf({ token }: { token: string | undefined }) {
  return <input type="hidden" name="_csrf" value={token ?? ''} />;
}

export function Layout(props: { ctx: PageContext; title: string; children: ComponentChildren }) {
  const { ctx } = props;
  const { t } = ctx;
  const appTitle = ctx.nav === 'operator' ? t('app.operatorTitle') : t('app.title');
  return (
    <html lang={ctx.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${appTitle}`}</title>
        <link rel="stylesheet" href="/console/static/console.css" />
        <script src="/console/static/htmx.min.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          {t('app.skip')}
        </a>
        <header>
          <span class="brand">{appTitle}</span>
          {ctx.nav !== 'none' && (
            <nav aria-label={t('nav.main')}>
              {ctx.nav === 'customer' ? <CustomerNav t={t} readOnly={ctx.readOnly === true} /> : <OperatorNav t={t} />}
            </nav>
          )}
          <span class="lang">
            {t('lang.switch')}:
            {LANGS.map((l) => (
              <a href={`${ctx.path}?lang=${l}`} lang={l} aria-current={l === ctx.lang ? 'true' : undefined}>
                {LANG_NAMES[l]}
              </a>
            ))}
          </span>
          {ctx.nav !== 'none' && (
            <form method="post" action="/console/sign-out" class="inline">
              <Csrf token={ctx.csrf} />
              <button type="submit">{t('nav.signOut')}</button>
            </form>
          )}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function renderPage(node: VNode): string {
  return `<!doctype html>${renderToString(node)}`;
}

export function sendHtml(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply.code(status).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(html);
}

export function sendPage(reply: FastifyReply, ctx: PageContext, title: string, body: ComponentChildren, status = 200) {
  return sendHtml(
    reply,
    renderPage(
      <Layout ctx={ctx} title={title}>
        {body}
      </Layout>,
    ),
    status,
  );
}

/** An htmx fragment (no frame). */
export function sendFragment(reply: FastifyReply, node: VNode) {
  return sendHtml(reply, renderToString(node));
}

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
