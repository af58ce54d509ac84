// One schema for certdesk's configuration: names, types, defaults and the help text all
// come from here (docs/ARCHITECTURE.md). The loaded config is frozen.
import { CertError } from '../domain/errors.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface Config {
  dataDir: string;
  /** postgres://... when set; otherwise SQLite at <dataDir>/certdesk.db. */
  databaseUrl: string | undefined;
  listen: HostPort;
  adminListen: HostPort;
  /** Base URL that certificates carry for AIA and CRL distribution points. */
  publicUrl: string;
  /** Resolver for DNS-TXT, CAA and FILE-host lookups; undefined = the system's. */
  dnsResolver: HostPort | undefined;
  httpValidationPort: number;
  allowPrivateValidationTargets: boolean;
  /** The issuer domain name that CAA records must name (RFC 8659 §4.2). */
  caaIdentity: string;
  caAlgorithm: string;
  /** organizationName of the CA certificates (BR 7.1.2.10.2). */
  caOrganization: string;
  /** countryName of the CA certificates: ISO 3166-1 alpha-2, XX when none is assigned (BR 7.1.4.2.2 d). */
  caCountry: string;
  /** Accepted clock difference for request timestamps (CAS doc §3.1: 15 minutes). */
  timestampWindowSeconds: number;
  /** First retry delay of a failed validation attempt; it doubles per attempt, up to an hour. */
  validationRetryMs: number;
  /** How long a claimed job stays with its worker before another may take it over. */
  jobLeaseSeconds: number;
  /** Number of CRL partitions certificates are spread over (1: one full CRL only). */
  crlPartitions: number;
  /** smtp://user:pass@host:port (or smtps://) for e-mail notices; undefined: no e-mail. */
  smtpUrl: string | undefined;
  smtpFrom: string;
  /** Run the API, the job worker, or both in this process. */
  role: 'api' | 'worker' | 'all';
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

type Kind = 'string' | 'hostport' | 'int' | 'bool' | 'url' | 'enum';

export interface OptionSpec {
  key: keyof Config;
  flag: string;
  kind: Kind;
  help: string;
  values?: readonly string[];
  default?: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'dataDir',
    flag: 'data-dir',
    kind: 'string',
    default: './data',
    help: 'Directory for the SQLite database, the master key and the admin token.',
  },
  {
    key: 'databaseUrl',
    flag: 'database-url',
    kind: 'url',
    help: 'postgres://user@host:port/db to use PostgreSQL instead of SQLite.',
  },
  { key: 'listen', flag: 'listen', kind: 'hostport', default: '127.0.0.1:8080', help: 'Address of the CAS API.' },
  {
    key: 'adminListen',
    flag: 'admin-listen',
    kind: 'hostport',
    default: '127.0.0.1:8081',
    help: 'Address of the operator API (keep it on loopback or a private network).',
  },
  {
    key: 'publicUrl',
    flag: 'public-url',
    kind: 'url',
    help: 'Base URL for AIA and CRL links in certificates (default http://<listen>).',
  },
  {
    key: 'dnsResolver',
    flag: 'dns-resolver',
    kind: 'hostport',
    help: 'DNS resolver HOST:PORT for validation and CAA lookups (default: the system resolver).',
  },
  {
    key: 'httpValidationPort',
    flag: 'http-validation-port',
    kind: 'int',
    default: '80',
    help: 'Port that FILE validation connects to.',
  },
  {
    key: 'allowPrivateValidationTargets',
    flag: 'allow-private-validation-targets',
    kind: 'bool',
    default: 'false',
    help: 'Let validation reach private, loopback and reserved addresses (tests only).',
  },
  {
    key: 'caaIdentity',
    flag: 'caa-identity',
    kind: 'string',
    default: 'certdesk.local',
    help: 'Issuer domain name that CAA issue/issuewild records must name.',
  },
  {
    key: 'caAlgorithm',
    flag: 'ca-algorithm',
    kind: 'enum',
    default: 'ecdsa-p256',
    values: ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'],
    help: 'Key algorithm of the CA hierarchy created on first start.',
  },
  {
    key: 'caOrganization',
    flag: 'ca-organization',
    kind: 'string',
    default: 'certdesk',
    help: 'organizationName of the CA certificates made on first start or by certdesk ca rotate (your legal name).',
  },
  {
    key: 'caCountry',
    flag: 'ca-country',
    kind: 'string',
    default: 'XX',
    help: 'countryName of the CA certificates: ISO 3166-1 alpha-2 code, e.g. DE (XX: none assigned).',
  },
  {
    key: 'timestampWindowSeconds',
    flag: 'timestamp-window',
    kind: 'int',
    default: '900',
    help: 'Accepted request clock skew, in seconds.',
  },
  {
    key: 'validationRetryMs',
    flag: 'validation-retry-ms',
    kind: 'int',
    default: '5000',
    help: 'First delay before a failed domain validation is tried again (doubles each time, at most an hour).',
  },
  {
    key: 'jobLeaseSeconds',
    flag: 'job-lease-seconds',
    kind: 'int',
    default: '30',
    help: "Seconds a worker holds a claimed job; a dead worker's jobs are taken over after this.",
  },
  {
    key: 'crlPartitions',
    flag: 'crl-partitions',
    kind: 'int',
    default: '1',
    help: 'CRL partitions (each certificate names its own; 1 = one full CRL). Fixed for certificates once issued.',
  },
  {
    key: 'smtpUrl',
    flag: 'smtp-url',
    kind: 'url',
    help: 'SMTP server for e-mail notices, e.g. smtp://mail.example.com:587 (none: no e-mail).',
  },
  {
    key: 'smtpFrom',
    flag: 'smtp-from',
    kind: 'string',
    default: 'certdesk <certdesk@localhost>',
    help: 'From address of e-mail notices.',
  },
  {
    key: 'role',
    flag: 'role',
    kind: 'enum',
    default: 'all',
    values: ['api', 'worker', 'all'],
    help: 'api: serve requests only; worker: run validation and issuance jobs only; all: both.',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    kind: 'enum',
    default: 'info',
    values: ['debug', 'info', 'warn', 'error'],
    help: 'Least severe log level written.',
  },
];

export function formatHostPort(hp: HostPort): string {
  return `${hp.host.includes(':') ? `[${hp.host}]` : hp.host}:${hp.port}`;
}

function bad(flag: string, why: string): never {
  throw new CertError('invalid_parameter', `--${flag}: ${why}`);
}

export function parseHostPort(flag: string, s: string): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  if (!m) bad(flag, 'expected HOST:PORT');
  const port = Number(m[3]);
  if (port > 65535) bad(flag, 'port out of range');
  return { host: (m[1] ?? m[2])!, port };
}

function convert(spec: OptionSpec, raw: string): unknown {
  switch (spec.kind) {
    case 'string':
      if (raw === '') bad(spec.flag, 'must not be empty');
      return raw;
    case 'hostport':
      return parseHostPort(spec.flag, raw);
    case 'int': {
      if (!/^\d{1,9}$/.test(raw)) bad(spec.flag, 'expected a whole number');
      return Number(raw);
    }
    case 'bool':
      if (raw === 'true' || raw === '') return true;
      if (raw === 'false') return false;
      return bad(spec.flag, 'expected true or false');
    case 'url':
      try {
        new URL(raw);
      } catch {
        bad(spec.flag, 'expected a URL');
      }
      return raw.replace(/\/+$/, '');
    case 'enum':
      if (!spec.values!.includes(raw)) bad(spec.flag, `expected one of ${spec.values!.join(', ')}`);
      return raw;
  }
}

/** Builds a frozen Config from flag values (strings; `true` for bare boolean flags). */
export function buildConfig(values: Record<string, string | boolean | undefined>): Readonly<Config> {
  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    const v = values[spec.flag];
    const raw = v === true ? 'true' : v === false ? 'false' : (v ?? spec.default);
    out[spec.key] = raw === undefined ? undefined : convert(spec, raw);
  }
  const c = out as unknown as Config;
  if (c.databaseUrl && !/^postgres(ql)?:\/\//.test(c.databaseUrl))
    bad('database-url', 'only postgres:// URLs are supported');
  if (c.crlPartitions < 1 || c.crlPartitions > 1024) bad('crl-partitions', 'expected 1 to 1024');
  if (!c.publicUrl) c.publicUrl = `http://${formatHostPort(c.listen)}`;
  return Object.freeze(c);
}

export function optionHelp(): string {
  return OPTIONS.map(
    (o) =>
      `  --${o.flag}${o.kind === 'bool' ? '' : ' VALUE'}\n      ${o.help}${o.default !== undefined ? ` (default ${o.default})` : ''}`,
  ).join('\n');
}
