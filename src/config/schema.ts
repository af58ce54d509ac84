// One schema for certdesk's configuration (TypeBox, the schema language fastify uses at the
// edge): every option is one entry below, and the flags' parsing, defaults, validation,
// `certdesk help` and docs/configuration.md (`npm run docs:config`) all come from it.
// Adding a flag is adding one entry. The loaded config is frozen.
import Type, { type StaticDecode, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { CertError } from '../domain/errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Which commands take an option: `store` every command that opens the store, `ca` also the
 * commands that may create the CA (`serve`, `ca ...`: the CA's URLs derive from the
 * listeners), `serve` only `certdesk serve`.
 */
export type OptionScope = 'store' | 'ca' | 'serve';

/** Sections of `certdesk help serve` and docs/configuration.md, in this order. */
export const OPTION_SECTIONS = {
  store: 'Store and secrets',
  listeners: 'Listeners',
  tls: 'TLS',
  acme: 'ACME',
  limits: 'Connection and request limits',
  ca: 'Certificate authority',
  validation: 'Domain validation',
  jobs: 'Jobs and requests',
  notices: 'Notices',
  process: 'Process',
} as const;

export type OptionSection = keyof typeof OPTION_SECTIONS;

interface OptionMeta {
  /** The command-line flag, without `--`. */
  flag: string;
  /** One or two sentences for `certdesk help` and docs/configuration.md. */
  help: string;
  scope: OptionScope;
  section: OptionSection;
  /** Placeholder in the help (`--listen HOST:PORT`); booleans have none. */
  value?: string;
  /** Default as typed on the command line; absent: unset (or derived, as the help says). */
  default?: string;
  /** What a malformed value should have looked like, for the error message. */
  expected?: string;
}

const META = Symbol('certdesk option');

type Option<T extends TSchema> = T & { [META]: OptionMeta };

function option<T extends TSchema>(schema: T, meta: OptionMeta): Option<T> {
  return Object.assign(schema, { [META]: meta });
}

// ---- value types (encoded: the command-line text; decoded: what code reads) ----

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/;

export function parseHostPort(flag: string, s: string): HostPort {
  const m = HOST_PORT.exec(s);
  if (!m) bad(flag, 'expected HOST:PORT');
  const port = Number(m[3]);
  if (port > 65535) bad(flag, 'port out of range');
  return { host: (m[1] ?? m[2])!, port };
}

export function formatHostPort(hp: HostPort): string {
  return `${hp.host.includes(':') ? `[${hp.host}]` : hp.host}:${hp.port}`;
}

const hostPort = () =>
  Type.Codec(Type.String({ pattern: HOST_PORT.source }))
    .Decode((s) => parseHostPort('', s))
    .Encode(formatHostPort);

function isUrl(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

/** A URL with trailing slashes dropped (paths are appended to it). */
const url = (schemes: readonly string[]) =>
  Type.Codec(Type.String({ pattern: `^(${schemes.join('|')}):\\/\\/` }))
    .Decode((s) => {
      if (!isUrl(s)) throw new Error('not a URL');
      return s.replace(/\/+$/, '');
    })
    .Encode((s) => s);

const text = () => Type.String({ minLength: 1 });
const whole = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max });
const oneOf = <const V extends string[]>(values: readonly [...V]) => Type.Enum(values);

export const CA_ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export const ROLES = ['api', 'worker', 'all'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

// ---- the options ----

export const CONFIG_SCHEMA = Type.Object({
  dataDir: option(text(), {
    flag: 'data-dir',
    value: 'DIR',
    default: './data',
    scope: 'store',
    section: 'store',
    help: 'Directory for the SQLite database, the master key and the admin token (made 0700, its files 0600).',
  }),
  databaseUrl: option(Type.Optional(url(['postgres', 'postgresql'])), {
    flag: 'database-url',
    value: 'URL',
    scope: 'store',
    section: 'store',
    expected: 'a postgres:// URL',
    help: 'postgres://user@host:port/db to use PostgreSQL instead of SQLite.',
  }),
  listen: option(hostPort(), {
    flag: 'listen',
    value: 'HOST:PORT',
    default: '127.0.0.1:8080',
    scope: 'ca',
    section: 'listeners',
    expected: 'HOST:PORT',
    help: 'Address of the CAS API (and, while it is plain HTTP, of the CA certificates, CRLs and OCSP).',
  }),
  adminListen: option(hostPort(), {
    flag: 'admin-listen',
    value: 'HOST:PORT',
    default: '127.0.0.1:8081',
    scope: 'serve',
    section: 'listeners',
    expected: 'HOST:PORT',
    help: 'Address of the operator API and its /metrics, behind the operator token (keep it on loopback or a private network).',
  }),
  publicListen: option(Type.Optional(hostPort()), {
    flag: 'public-listen',
    value: 'HOST:PORT',
    scope: 'ca',
    section: 'listeners',
    expected: 'HOST:PORT',
    help: 'A plain-HTTP listener for relying parties only (CA certificates, CRLs, OCSP, revoke-by-key): needed when the API listener is TLS, since RFC 5280 and the BR expect those over HTTP.',
  }),
  metricsListen: option(Type.Optional(hostPort()), {
    flag: 'metrics-listen',
    value: 'HOST:PORT',
    scope: 'serve',
    section: 'listeners',
    expected: 'HOST:PORT',
    help: 'A listener serving only GET /metrics without a token, for scrapers that carry none (off by default).',
  }),
  publicUrl: option(Type.Optional(url(['http'])), {
    flag: 'public-url',
    value: 'URL',
    scope: 'ca',
    section: 'listeners',
    expected: 'an http:// URL (relying parties fetch CRLs and OCSP over plain HTTP)',
    help: 'Base URL of the CA certificates, CRLs and OCSP that certificates carry (default http://<public-listen>, else http://<listen>).',
  }),
  acmeListen: option(hostPort(), {
    flag: 'acme-listen',
    value: 'HOST:PORT',
    default: '127.0.0.1:8443',
    scope: 'serve',
    section: 'acme',
    expected: 'HOST:PORT',
    help: 'Serve ACME (RFC 8555) over HTTPS here (not with --role worker); the directory is <acme-url>/acme/directory. Port 0 takes a free port (tests).',
  }),
  acmeUrl: option(Type.Optional(url(['https'])), {
    flag: 'acme-url',
    value: 'URL',
    scope: 'serve',
    section: 'acme',
    expected: 'an https:// URL',
    help: 'External base URL of the ACME server that every ACME URL is built from; default https://<acme-listen> (https://127.0.0.1:8443 with the default listener; with port 0, the port taken).',
  }),
  acmeTlsCert: option(Type.Optional(text()), {
    flag: 'acme-tls-cert',
    value: 'FILE',
    scope: 'serve',
    section: 'acme',
    help: 'PEM certificate chain of the ACME listener (with --acme-tls-key); default: a certificate certdesk issues itself from its issuing CA for the ACME host, 127.0.0.1 and localhost.',
  }),
  acmeTlsKey: option(Type.Optional(text()), {
    flag: 'acme-tls-key',
    value: 'FILE',
    scope: 'serve',
    section: 'acme',
    help: 'PEM private key of --acme-tls-cert.',
  }),
  acmeOrdersPerHour: option(whole(0, 1_000_000_000), {
    flag: 'acme-orders-per-hour',
    value: 'N',
    default: '0',
    scope: 'serve',
    section: 'acme',
    help: 'New ACME orders one ACME account may create per hour (429 rateLimited beyond; 0 = no limit).',
  }),
  acmeNonceRejectPercent: option(whole(0, 100), {
    flag: 'acme-nonce-reject-percent',
    value: 'PERCENT',
    default: '0',
    scope: 'serve',
    section: 'acme',
    help: 'Tests only: refuse this share of valid ACME nonces with badNonce, so that every client retry path runs.',
  }),
  consoleUrl: option(Type.Optional(url(['http', 'https'])), {
    flag: 'console-url',
    value: 'URL',
    scope: 'store',
    section: 'listeners',
    expected: 'an http:// or https:// URL',
    help: 'Base URL of the customer console in sign-in links (`admin account console-link`, notice e-mails); default the API listener address (https with TLS). Give it to `certdesk admin` when the API listener is not the default.',
  }),
  tls: option(Type.Optional(oneOf(['auto'])), {
    flag: 'tls',
    value: 'auto',
    scope: 'serve',
    section: 'tls',
    expected: 'auto (or give --tls-cert and --tls-key)',
    help: 'auto: serve TLS with a certificate certdesk issues itself from its issuing CA for the public host, localhost, 127.0.0.1 and ::1, renewed before it expires (clients must trust the certdesk root).',
  }),
  tlsCert: option(Type.Optional(text()), {
    flag: 'tls-cert',
    value: 'FILE',
    scope: 'serve',
    section: 'tls',
    help: 'PEM certificate chain for TLS on the API, operator and metrics listeners (with --tls-key); re-read when the file changes.',
  }),
  tlsKey: option(Type.Optional(text()), {
    flag: 'tls-key',
    value: 'FILE',
    scope: 'serve',
    section: 'tls',
    help: 'PEM private key of --tls-cert.',
  }),
  insecureHttp: option(Type.Boolean(), {
    flag: 'insecure-http',
    default: 'false',
    scope: 'serve',
    section: 'tls',
    help: 'Allow plain HTTP on a listener bound to a non-loopback address (keys and secrets then cross the network in clear).',
  }),
  bodyLimit: option(whole(1024, 64 * 1024 * 1024), {
    flag: 'body-limit',
    value: 'BYTES',
    default: String(1024 * 1024),
    scope: 'serve',
    section: 'limits',
    help: 'Largest request body; a larger one is answered 413 in the front end’s error form.',
  }),
  headerLimit: option(whole(16 * 1024, 1024 * 1024), {
    flag: 'header-limit',
    value: 'BYTES',
    default: String(64 * 1024 + 8 * 1024),
    scope: 'serve',
    section: 'limits',
    help: 'Largest request line plus headers; the SDK puts PEMs in the URL, so this allows 64 KiB of it. Larger: 413.',
  }),
  headersTimeoutMs: option(whole(100, 600_000), {
    flag: 'headers-timeout-ms',
    value: 'MS',
    default: '10000',
    scope: 'serve',
    section: 'limits',
    help: 'Time a client has to send the request line and headers; slower connections are closed (408).',
  }),
  requestTimeoutMs: option(whole(100, 3_600_000), {
    flag: 'request-timeout-ms',
    value: 'MS',
    default: '30000',
    scope: 'serve',
    section: 'limits',
    help: 'Time a client has to send a whole request, body included.',
  }),
  keepAliveTimeoutMs: option(whole(100, 600_000), {
    flag: 'keep-alive-timeout-ms',
    value: 'MS',
    default: '65000',
    scope: 'serve',
    section: 'limits',
    help: 'How long an idle keep-alive connection stays open (above common load balancers’ 60 s).',
  }),
  maxConnections: option(whole(1, 1_000_000), {
    flag: 'max-connections',
    value: 'N',
    default: '1000',
    scope: 'serve',
    section: 'limits',
    help: 'Open connections per listener; connections beyond it are closed at once (raise the file limit, ulimit -n, with it).',
  }),
  caAlgorithm: option(oneOf(CA_ALGORITHMS), {
    flag: 'ca-algorithm',
    value: 'ALG',
    default: 'ecdsa-p256',
    scope: 'ca',
    section: 'ca',
    help: 'Key algorithm of the CA hierarchy created on first start.',
  }),
  caOrganization: option(text(), {
    flag: 'ca-organization',
    value: 'NAME',
    default: 'certdesk',
    scope: 'ca',
    section: 'ca',
    help: 'organizationName of the CA certificates made on first start or by certdesk ca rotate (your legal name; BR 7.1.2.10.2).',
  }),
  caCountry: option(text(), {
    flag: 'ca-country',
    value: 'CC',
    default: 'XX',
    scope: 'ca',
    section: 'ca',
    help: 'countryName of the CA certificates: ISO 3166-1 alpha-2 code, e.g. DE (XX: none assigned; BR 7.1.4.2.2).',
  }),
  crlPartitions: option(whole(1, 1024), {
    flag: 'crl-partitions',
    value: 'N',
    default: '1',
    scope: 'serve',
    section: 'ca',
    help: 'CRL partitions (each certificate names its own; 1 = one full CRL only). Fixed for certificates once issued.',
  }),
  dnsResolver: option(Type.Optional(hostPort()), {
    flag: 'dns-resolver',
    value: 'HOST:PORT',
    scope: 'serve',
    section: 'validation',
    expected: 'HOST:PORT',
    help: 'DNS resolver for validation, CAA and FILE-host lookups (default: the system resolver).',
  }),
  httpValidationPort: option(whole(1, 65535), {
    flag: 'http-validation-port',
    value: 'PORT',
    default: '80',
    scope: 'serve',
    section: 'validation',
    help: 'Port that FILE validation connects to.',
  }),
  tlsAlpnValidationPort: option(whole(1, 65535), {
    flag: 'tls-alpn-validation-port',
    value: 'PORT',
    default: '443',
    scope: 'serve',
    section: 'validation',
    help: 'Port that ACME tls-alpn-01 validation connects to (RFC 8737).',
  }),
  allowPrivateValidationTargets: option(Type.Boolean(), {
    flag: 'allow-private-validation-targets',
    default: 'false',
    scope: 'serve',
    section: 'validation',
    help: 'Let validation reach private, loopback and reserved addresses (tests only).',
  }),
  caaIdentity: option(text(), {
    flag: 'caa-identity',
    value: 'DOMAIN',
    default: 'certdesk.local',
    scope: 'serve',
    section: 'validation',
    help: 'Issuer domain name that CAA issue/issuewild records must name (RFC 8659 §4.2).',
  }),
  validationRetryMs: option(whole(1, 86_400_000), {
    flag: 'validation-retry-ms',
    value: 'MS',
    default: '5000',
    scope: 'serve',
    section: 'validation',
    help: 'First delay before a failed domain validation is tried again (doubles each time, at most an hour).',
  }),
  validationNudgeIntervalMs: option(whole(0, 3_600_000), {
    flag: 'validation-nudge-interval-ms',
    value: 'MS',
    default: '3000',
    scope: 'serve',
    section: 'validation',
    help: 'Longest gap between two validation attempts of one order that DescribeCertificateState triggers (none on the call that first shows the record, the next at once, then 50 ms doubling up to this); calls in between are answered from the last result.',
  }),
  validationNudgesPerMinute: option(whole(1, 1_000_000), {
    flag: 'validation-nudges-per-minute',
    value: 'N',
    default: '60',
    scope: 'serve',
    section: 'validation',
    help: "Validation attempts DescribeCertificateState may trigger per account and minute beyond each order's first four: a bucket of this size refilled at this rate (per API process); more calls are answered from the last result.",
  }),
  timestampWindowSeconds: option(whole(1, 86_400), {
    flag: 'timestamp-window',
    value: 'SECONDS',
    default: '900',
    scope: 'serve',
    section: 'jobs',
    help: 'Accepted request clock skew (CAS requests carry a signed timestamp).',
  }),
  jobLeaseSeconds: option(whole(1, 86_400), {
    flag: 'job-lease-seconds',
    value: 'SECONDS',
    default: '30',
    scope: 'serve',
    section: 'jobs',
    help: "Seconds a worker holds a claimed job; a dead worker's jobs are taken over after this.",
  }),
  smtpUrl: option(Type.Optional(url(['smtp', 'smtps'])), {
    flag: 'smtp-url',
    value: 'URL',
    scope: 'serve',
    section: 'notices',
    expected: 'an smtp:// or smtps:// URL',
    help: 'SMTP server for e-mail notices, e.g. smtp://mail.example.com:587 (none: no e-mail).',
  }),
  smtpFrom: option(text(), {
    flag: 'smtp-from',
    value: 'ADDRESS',
    default: 'certdesk <certdesk@localhost>',
    scope: 'serve',
    section: 'notices',
    help: 'From address of e-mail notices.',
  }),
  role: option(oneOf(ROLES), {
    flag: 'role',
    value: 'ROLE',
    default: 'all',
    scope: 'serve',
    section: 'process',
    help: 'api: serve requests only; worker: run validation and issuance jobs only; all: both.',
  }),
  logLevel: option(oneOf(LOG_LEVELS), {
    flag: 'log-level',
    value: 'LEVEL',
    default: 'info',
    scope: 'serve',
    section: 'process',
    help: 'Least severe log level written.',
  }),
});

type Decoded = StaticDecode<typeof CONFIG_SCHEMA>;

/** The loaded configuration; `publicUrl` is always set (derived when the flag is absent). */
export type Config = Omit<Decoded, 'publicUrl'> & { publicUrl: string };

// ---- reading the schema ----

export interface OptionSpec extends OptionMeta {
  key: keyof Config;
  kind: 'bool' | 'int' | 'string';
  /** Allowed values of an enum option. */
  values?: readonly string[];
  optional: boolean;
}

function specOf(key: string, schema: TSchema): OptionSpec {
  const meta = (schema as Partial<Option<TSchema>>)[META];
  if (!meta) throw new Error(`config option ${key} has no flag metadata`);
  const s = schema as { type?: string; enum?: unknown[] };
  const values = s.enum?.map(String);
  return {
    ...meta,
    key: key as keyof Config,
    kind: s.type === 'boolean' ? 'bool' : s.type === 'integer' ? 'int' : 'string',
    ...(values ? { values } : {}),
    optional: !(CONFIG_SCHEMA.required as readonly string[]).includes(key),
  };
}

/** Every option, in schema order. */
export const OPTIONS: readonly OptionSpec[] = Object.entries(CONFIG_SCHEMA.properties).map(([k, s]) =>
  specOf(k, s as TSchema),
);

function bad(flag: string, why: string): never {
  throw new CertError('invalid_parameter', `--${flag}: ${why}`);
}

function describeError(spec: OptionSpec, keyword: string, params: Record<string, unknown>): string {
  if (spec.values) return `expected one of ${spec.values.join(', ')}`;
  if (spec.kind === 'int') {
    if (keyword === 'minimum') return `expected at least ${String(params.limit)}`;
    if (keyword === 'maximum') return `expected at most ${String(params.limit)}`;
    return 'expected a whole number';
  }
  if (spec.kind === 'bool') return 'expected true or false';
  if (keyword === 'minLength') return 'must not be empty';
  return `expected ${spec.expected ?? 'a valid value'}`;
}

/** Turns one command-line value into the schema's encoded form (or leaves it for Check to refuse). */
function fromFlag(spec: OptionSpec, raw: string | boolean): unknown {
  if (spec.kind === 'bool') return raw === true || raw === 'true' || raw === '' ? true : raw === 'false' ? false : raw;
  if (typeof raw !== 'string') return raw;
  if (spec.kind === 'int') return /^\d{1,15}$/.test(raw) ? Number(raw) : raw;
  return raw;
}

const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/i;

/** Whether only this machine can reach an address (plain HTTP is allowed there without --insecure-http). */
export function isLoopback(hp: HostPort): boolean {
  return LOOPBACK_HOST.test(hp.host);
}

export function tlsConfigured(c: Pick<Config, 'tls' | 'tlsCert'>): boolean {
  return c.tls === 'auto' || c.tlsCert !== undefined;
}

/** Rules across options, after each option passed its own schema. */
function checkTogether(c: Decoded): void {
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) bad('tls-cert', '--tls-cert and --tls-key go together');
  if (c.tls === 'auto' && c.tlsCert !== undefined) bad('tls', 'choose --tls auto or --tls-cert/--tls-key, not both');
  if ((c.acmeTlsCert === undefined) !== (c.acmeTlsKey === undefined))
    bad('acme-tls-cert', '--acme-tls-cert and --acme-tls-key go together');
  if (tlsConfigured(c) && c.publicUrl === undefined && c.publicListen === undefined)
    bad(
      'public-listen',
      'with TLS on the API listener, relying parties need plain HTTP for CA certificates, CRLs and OCSP: ' +
        'give --public-listen HOST:PORT (or --public-url if another server publishes them)',
    );
}

/** Builds a frozen Config from flag values (strings; `true` for bare boolean flags), keyed by flag name. */
export function buildConfig(values: Readonly<Record<string, string | boolean | undefined>>): Readonly<Config> {
  const encoded: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    const raw = values[spec.flag];
    if (raw !== undefined) encoded[spec.key] = fromFlag(spec, raw);
    else if (spec.default !== undefined) encoded[spec.key] = fromFlag(spec, spec.default);
  }
  for (const spec of OPTIONS) {
    const prop = (CONFIG_SCHEMA.properties as Record<string, TSchema>)[spec.key]!;
    const v = encoded[spec.key];
    if (v === undefined) {
      if (!spec.optional) bad(spec.flag, 'is required');
      continue;
    }
    const first = Value.Errors(prop, v)[0];
    if (first) bad(spec.flag, describeError(spec, first.keyword, first.params));
    try {
      Value.Decode(prop, v);
    } catch {
      bad(spec.flag, `expected ${spec.expected ?? 'a valid value'}`);
    }
  }
  const decoded = Value.Decode(CONFIG_SCHEMA, encoded);
  checkTogether(decoded);
  const publicUrl = decoded.publicUrl ?? `http://${formatHostPort(decoded.publicListen ?? decoded.listen)}`;
  return Object.freeze({ ...decoded, publicUrl });
}

// ---- help and docs ----

function flagLine(o: OptionSpec): string {
  return `--${o.flag}${o.kind === 'bool' ? '' : ` ${o.value ?? 'VALUE'}`}`;
}

function defaultNote(o: OptionSpec): string {
  if (o.values && o.values.length > 1)
    return ` One of ${o.values.join(', ')}${o.default ? `; default ${o.default}` : ''}.`;
  return o.default !== undefined && o.kind !== 'bool' ? ` Default ${o.default}.` : '';
}

/** The `certdesk help` text of the options in `scopes`, by section. */
export function optionHelp(scopes: readonly OptionScope[]): string {
  const out: string[] = [];
  for (const [section, title] of Object.entries(OPTION_SECTIONS)) {
    const opts = OPTIONS.filter((o) => o.section === section && scopes.includes(o.scope));
    if (opts.length === 0) continue;
    out.push(`${title}:`);
    for (const o of opts) out.push(`  ${flagLine(o)}\n      ${o.help}${defaultNote(o)}`);
  }
  return out.join('\n');
}

const SCOPE_COMMANDS: Record<OptionScope, string> = {
  store: 'every command',
  ca: '`serve`, `ca`',
  serve: '`serve`',
};

/** docs/configuration.md, generated (`npm run docs:config`); test/config-doc.test.ts keeps the file equal. */
export function configurationDoc(): string {
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`; test/config-doc.test.ts keeps it equal. -->',
    '',
    'Every option is a command-line flag; `certdesk help serve` prints the same list. Values are',
    'checked at start: a wrong one stops certdesk with a message naming the flag.',
    '',
  ];
  for (const [section, title] of Object.entries(OPTION_SECTIONS)) {
    const opts = OPTIONS.filter((o) => o.section === section);
    if (opts.length === 0) continue;
    lines.push(`## ${title}`, '', '| flag | default | taken by | meaning |', '|---|---|---|---|');
    for (const o of opts) {
      const def = o.kind === 'bool' ? 'off' : o.default !== undefined ? `\`${o.default}\`` : '(unset)';
      const values = o.values && o.values.length > 1 ? ` One of ${o.values.map((v) => `\`${v}\``).join(', ')}.` : '';
      lines.push(
        `| \`${flagLine(o)}\` | ${def} | ${SCOPE_COMMANDS[o.scope]} | ${o.help.replace(/\|/g, '\\|').replace(/</g, '&lt;')}${values} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '## Environment',
    '',
    '| variable | meaning |',
    '|---|---|',
    '| `CERTDESK_MASTER_KEY` | 64 hex characters: the key that seals secrets at rest (default: `<data-dir>/master.key`, created on first start). |',
    '| `CERTDESK_ADMIN_TOKEN` | The operator API token (default: `<data-dir>/admin-token`, created on first start). |',
    '',
  );
  return lines.join('\n');
}

/** Where customers reach the console (`<API listener>/console/`): sign-in links name it. */
export function consoleBaseUrl(c: Readonly<Config>): string {
  return c.consoleUrl ?? `${tlsConfigured(c) ? 'https' : 'http'}://${formatHostPort(c.listen)}`;
}
