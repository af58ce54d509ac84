// The CA hierarchy: created on first start (a root and one issuing CA, private keys sealed
// under the master key), and replaced by `certdesk ca rotate` (src/cli/ca.ts), which adds
// new issuers and retires the old ones without touching a certificate they issued.
//
// A retired issuer keeps its key in the store: its certificates' CRLs and OCSP responses
// are still signed by it (RFC 5280 §5.1.2.3, RFC 6960 §4.2.2.2: the issuer signs them), at
// the URLs those certificates carry. Only the active pair signs new certificates.
//
// When several processes start at once on one database, the unique issuer names let exactly
// one insert win; the others load what it wrote.
import { X509Certificate } from 'node:crypto';
import {
  createHierarchy,
  createIssuingCa,
  createRoot,
  loadIssuer,
  type CaSubjectOptions,
  type Issuer,
  type IssuerMaterial,
} from '../ca/hierarchy.js';
import { parseKeyAlgorithm } from '../ca/signer.js';
import { CertError } from '../domain/errors.js';
import type { Clock, Logger, RandomSource, SecretSealer } from '../domain/ports.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { IssuerRow } from '../store/schema.js';

/** One issuer with its key, current or retired. */
export interface CaIssuer {
  id: number;
  /** Unique name in the store: root-N, issuing-N (N counts generations from 1). */
  name: string;
  role: 'root' | 'issuing';
  parentId: number | null;
  active: boolean;
  /** Path stem of its public URLs: /ca/<stem>.cer, /crl/<stem>.crl (see urlStem). */
  stem: string;
  issuer: Issuer;
}

export interface CaHierarchy {
  root: Issuer;
  issuing: Issuer;
  issuingId: number;
  rootId: number;
  /** Every issuer, active and retired, oldest first. */
  all: CaIssuer[];
}

/** What creating or rotating the CA needs from the configuration. */
export interface CaSettings {
  algorithm: string;
  publicUrl: string;
  subject: CaSubjectOptions;
  /** Host the CAS API listens on: decides whether a loopback public URL is acceptable. */
  listenHost: string;
}

export function caSettings(
  config: Pick<Config, 'caAlgorithm' | 'publicUrl' | 'caOrganization' | 'caCountry' | 'listen'>,
): CaSettings {
  return {
    algorithm: config.caAlgorithm,
    publicUrl: config.publicUrl,
    subject: { organization: config.caOrganization, country: config.caCountry },
    listenHost: config.listen.host,
  };
}

const FIRST_ROOT = 'root-1';
const FIRST_ISSUING = 'issuing-1';

function keyAad(name: string): string {
  return `issuer:${name}`;
}

/**
 * The first generation keeps the URLs certdesk always served (/ca/issuing.cer,
 * /crl/issuing.crl, /ca/root.cer), which its certificates already carry; later ones are
 * served under their own name (/ca/issuing-2.cer, /crl/issuing-2.crl, ...).
 */
export function urlStem(name: string): string {
  return name === FIRST_ROOT || name === FIRST_ISSUING ? name.slice(0, -2) : name;
}

function generationOf(name: string): number {
  const m = /-(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
}

// ---- The public URL certificates carry ----

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function isUnspecifiedHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || /^0+(:0+)*::?$/.test(h) || h === '0:0:0:0:0:0:0:0';
}

/**
 * Refuses a public URL no relying party could reach once it is written into a CA
 * certificate (AIA caIssuers and CRL distribution points stay for the certificate's life,
 * RFC 5280 §4.2.1.13, §4.2.2.1): an unspecified address (0.0.0.0, ::) always; a loopback
 * one unless the API itself listens on loopback only (a local trial), then with a warning.
 */
export function checkPublicUrl(publicUrl: string, listenHost: string, logger: Logger): void {
  const host = new URL(publicUrl).hostname;
  const fix = 'set --public-url to the URL relying parties reach certdesk at (e.g. http://pki.example.com)';
  if (isUnspecifiedHost(host))
    throw new CertError('invalid_parameter', `the public URL ${publicUrl} names no host; ${fix}`);
  if (!isLoopbackHost(host)) return;
  if (!isLoopbackHost(listenHost))
    throw new CertError(
      'invalid_parameter',
      `the public URL ${publicUrl} is a loopback address, but the API listens on ${listenHost}: certificates would point relying parties at their own machine; ${fix}`,
    );
  logger.log('warn', 'CA certificates name a loopback public URL: fine for a local trial only', {
    publicUrl,
    fix: 'certdesk ca rotate --public-url URL',
  });
}

// ---- Store ----

function toCaIssuer(row: IssuerRow, sealer: SecretSealer): CaIssuer {
  return {
    id: row.id,
    name: row.name,
    role: row.role === 'root' ? 'root' : 'issuing',
    parentId: row.parent_id === null ? null : Number(row.parent_id),
    active: row.active === 1,
    stem: urlStem(row.name),
    issuer: loadIssuer(Buffer.from(row.cert_der, 'base64'), sealer.open(row.key_sealed, keyAad(row.name))),
  };
}

export async function loadHierarchy(store: Store, sealer: SecretSealer): Promise<CaHierarchy | undefined> {
  const rows = await store.repos.issuers.listAll();
  const root = rows.find((r) => r.role === 'root' && r.active === 1);
  const issuing = rows.find((r) => r.role === 'issuing' && r.active === 1);
  if (!root || !issuing) return undefined;
  const all = rows.map((r) => toCaIssuer(r, sealer));
  const byId = (id: number) => all.find((c) => c.id === id)!.issuer;
  return { root: byId(root.id), issuing: byId(issuing.id), rootId: root.id, issuingId: issuing.id, all };
}

function newRow(sealer: SecretSealer, now: number, role: 'root' | 'issuing', name: string, m: IssuerMaterial) {
  return {
    role,
    name,
    algorithm: m.algorithm,
    cert_der: m.certDer.toString('base64'),
    key_sealed: sealer.seal(m.privateKeyPkcs8Der, keyAad(name)),
    active: 1,
    created_at: now,
  };
}

export interface CaDeps {
  store: Store;
  sealer: SecretSealer;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
}

/** Loads the hierarchy, creating it on first start. */
export async function ensureHierarchy(deps: CaDeps, settings: CaSettings): Promise<CaHierarchy> {
  const existing = await loadHierarchy(deps.store, deps.sealer);
  if (existing) return existing;
  checkPublicUrl(settings.publicUrl, settings.listenHost, deps.logger);
  const m = await createHierarchy({
    algorithm: parseKeyAlgorithm(settings.algorithm),
    now: deps.clock.now(),
    random: deps.random,
    publicUrl: settings.publicUrl,
    organization: settings.subject.organization,
    country: settings.subject.country,
  });
  const now = deps.clock.now();
  try {
    await deps.store.writeTransaction(async (repos) => {
      const root = await repos.issuers.insert({
        ...newRow(deps.sealer, now, 'root', FIRST_ROOT, m.root),
        parent_id: null,
      });
      await repos.issuers.insert({
        ...newRow(deps.sealer, now, 'issuing', FIRST_ISSUING, m.issuing),
        parent_id: root.id,
      });
    });
    deps.logger.log('info', 'created CA hierarchy', { algorithm: m.root.algorithm });
  } catch (e) {
    // Another process won the race (unique issuer names); use its hierarchy.
    const theirs = await loadHierarchy(deps.store, deps.sealer);
    if (theirs) return theirs;
    throw e;
  }
  const created = await loadHierarchy(deps.store, deps.sealer);
  if (!created) throw new Error('CA hierarchy vanished after creation');
  return created;
}

// ---- Rotation ----

/** Why the current root cannot stay: BR 7.1.2.10.2 (since v2.0.0) wants countryName and organizationName in a CA subject. */
export function rootProblems(root: Issuer): string[] {
  const subject = new X509Certificate(root.certDer).subject.split('\n');
  const problems: string[] = [];
  if (!subject.some((a) => a.startsWith('C='))) problems.push('subject has no countryName (BR 7.1.2.10.2)');
  if (!subject.some((a) => a.startsWith('O='))) problems.push('subject has no organizationName (BR 7.1.2.10.2)');
  return problems;
}

export interface RotationResult {
  hierarchy: CaHierarchy;
  created: CaIssuer[];
  retired: CaIssuer[];
  /** Why a new root was made (empty when the root stayed). */
  rootReasons: string[];
}

/**
 * `certdesk ca rotate`: a new issuing CA (new key; subject, policies and URLs from the
 * current settings and profile), under a new root too when the current root's subject does
 * not meet the BR or `newRoot` asks for it. The old pair is retired in the same transaction:
 * no longer signs certificates, still signs the CRLs and OCSP responses of those it issued.
 * Issued certificates are not touched. Running processes pick the new issuers up on restart.
 */
export async function rotateHierarchy(
  deps: CaDeps,
  settings: CaSettings,
  opts: { newRoot?: boolean } = {},
): Promise<RotationResult> {
  const current = await loadHierarchy(deps.store, deps.sealer);
  if (!current) throw new CertError('invalid_parameter', 'there is no CA to rotate yet: certdesk serve creates one');
  checkPublicUrl(settings.publicUrl, settings.listenHost, deps.logger);
  const algorithm = parseKeyAlgorithm(settings.algorithm);
  const now = deps.clock.now();
  const rootReasons = rootProblems(current.root);
  if (opts.newRoot && rootReasons.length === 0) rootReasons.push('asked for (--new-root)');
  const nextGen = (role: 'root' | 'issuing') =>
    Math.max(0, ...current.all.filter((c) => c.role === role).map((c) => generationOf(c.name))) + 1;
  const base = { algorithm, now, random: deps.random, ...settings.subject };
  const publicUrl = settings.publicUrl.replace(/\/+$/, '');

  let rootName: string | undefined;
  let rootMaterial: IssuerMaterial | undefined;
  let parent = current.root;
  let parentStem = current.all.find((c) => c.id === current.rootId)!.stem;
  if (rootReasons.length > 0) {
    const gen = nextGen('root');
    rootName = `root-${gen}`;
    rootMaterial = await createRoot({ ...base, commonName: `certdesk Root CA R${gen}` });
    parent = loadIssuer(rootMaterial.certDer, rootMaterial.privateKeyPkcs8Der);
    parentStem = urlStem(rootName);
  }
  const issuingGen = nextGen('issuing');
  const issuingName = `issuing-${issuingGen}`;
  const issuingMaterial = await createIssuingCa({
    ...base,
    commonName: `certdesk Issuing CA E${issuingGen}`,
    parent,
    urls: { parentCert: `${publicUrl}/ca/${parentStem}.cer`, parentCrl: `${publicUrl}/crl/${parentStem}.crl` },
  });

  await deps.store.writeTransaction(async (repos) => {
    let parentId = current.rootId;
    if (rootName && rootMaterial) {
      await repos.issuers.setActive(current.rootId, false);
      parentId = (
        await repos.issuers.insert({ ...newRow(deps.sealer, now, 'root', rootName, rootMaterial), parent_id: null })
      ).id;
    }
    await repos.issuers.setActive(current.issuingId, false);
    await repos.issuers.insert({
      ...newRow(deps.sealer, now, 'issuing', issuingName, issuingMaterial),
      parent_id: parentId,
    });
  });
  const hierarchy = await loadHierarchy(deps.store, deps.sealer);
  if (!hierarchy) throw new Error('CA hierarchy vanished after rotation');
  const createdNames = new Set([issuingName, ...(rootName ? [rootName] : [])]);
  const retiredIds = new Set([current.issuingId, ...(rootName ? [current.rootId] : [])]);
  deps.logger.log('info', 'rotated CA hierarchy', { created: [...createdNames], newRoot: rootName !== undefined });
  return {
    hierarchy,
    created: hierarchy.all.filter((c) => createdNames.has(c.name)),
    retired: hierarchy.all.filter((c) => retiredIds.has(c.id)),
    rootReasons: rootName ? rootReasons : [],
  };
}

/** The CA certificates above a certificate its issuer `issuerId` signed, up to (not including) the root (RFC 8446 §4.4.2: the root may be left out, and every CA leaves it out). */
export function intermediatesOf(hierarchy: CaHierarchy, issuerId: number): Buffer[] {
  const out: Buffer[] = [];
  for (let c = hierarchy.all.find((x) => x.id === issuerId); c && c.role !== 'root';) {
    out.push(c.issuer.certDer);
    const parentId = c.parentId;
    c = hierarchy.all.find((x) => x.id === parentId);
  }
  return out;
}
