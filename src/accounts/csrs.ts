// CSR management (CAS API reference, CSR actions: CreateCsr, UploadCsr, UpdateCsr, DeleteCsr, GetCsrDetail,
// ListCsr): an account's own certificate signing requests, generated here (with a key that
// is kept sealed under the master key) or uploaded, optionally with their private key.
//
// Every id is scoped to the calling account: another account's CSR reads as "does not
// exist". All input is checked before anything is written, so bad input changes nothing.
// Private keys never appear in a message: every key error below is a fixed text.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { buildCsr } from '../ca/csr-builder.js';
import { parseCsr } from '../ca/csr.js';
import { generateKeyPair, type KeyAlgorithm } from '../ca/signer.js';
import { toPem } from '../crypto/pem.js';
import { CertError } from '../domain/errors.js';
import { checkSubscriberKey, type PublicKeyInfo } from '../policy/key-rules.js';
import { MAX_NAMES, checkNamesForProduct, isWildcard, normalizeDomainName } from '../policy/names.js';
import { PRODUCTS, type Product } from '../policy/products.js';
import type { CsrRow } from '../store/schema.js';
import type { AccountUseCaseDeps } from './deps.js';

/** The CSR use cases keep to their own table. */
type CsrDeps = AccountUseCaseDeps<'clock' | 'sealer', 'csrs'>;

/** The Algorithm values certdesk keeps (CAS API reference, CSR actions also names SM2, which it refuses). */
export type CsrAlgorithm = 'RSA' | 'ECC';

export interface CreateCsrInput {
  algorithm: string;
  keySize: number;
  commonName: string;
  countryCode: string;
  province: string;
  locality: string;
  corpName?: string;
  department?: string;
  name?: string;
  /** Comma-separated secondary domain names. */
  sans?: string;
}

export interface UploadCsrInput {
  /** PEM (DER and bare base64 are tolerated, as parseCsr does). */
  csr: string;
  /** PEM private key (PKCS#8, PKCS#1 or SEC 1), unencrypted. */
  key?: string;
  name?: string;
}

/** One CSR as ListCsr describes it (CAS API reference, CSR actions). */
export interface CsrSummary {
  id: number;
  name: string;
  commonName: string;
  /** Secondary domain names, comma-separated (the CommonName is not repeated). */
  sans: string;
  algorithm: string;
  keySize: number;
  /** Hex SHA-256 of the SubjectPublicKeyInfo DER. */
  keySha2: string;
  hasPrivateKey: boolean;
  corpName: string;
  department: string;
  countryCode: string;
  province: string;
  locality: string;
}

export interface CsrDetail {
  csrPem: string;
  /** PKCS#8 PEM, or '' when certdesk holds no key for this CSR (GetCsrDetail `PrivateKey`). */
  privateKeyPem: string;
}

const NOT_FOUND = 'The CSR does not exist.';

// X.520 attribute types (RFC 5280 Appendix A.1).
const OID = {
  countryName: '2.5.4.6',
  stateOrProvinceName: '2.5.4.8',
  localityName: '2.5.4.7',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  commonName: '2.5.4.3',
} as const;

// Upper bounds of RFC 5280 Appendix A.1: ub-common-name 64, ub-organization-name 64,
// ub-organizational-unit-name 64, ub-state-name 128, ub-locality-name 128.
const MAX_COMMON_NAME = 64;
const MAX_ORGANIZATION = 64;
const MAX_STATE_OR_LOCALITY = 128;

// CAS API reference, CSR actions (and the SDK's field doc): "up to 50 characters ... letters, digits,
// underscores (_), hyphens (-), and periods (.)".
const CSR_NAME = /^[A-Za-z0-9_.-]{1,50}$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

// CAS API reference, CSR actions: RSA 2048/3072/4096, ECC 256. P-384 is accepted as well: key-rules.ts
// certifies it (BR §6.1.5) and signer.ts generates it.
const KEY_CHOICES: Record<CsrAlgorithm, ReadonlyMap<number, KeyAlgorithm>> = {
  RSA: new Map([
    [2048, 'rsa-2048'],
    [3072, 'rsa-3072'],
    [4096, 'rsa-4096'],
  ]),
  ECC: new Map([
    [256, 'ecdsa-p256'],
    [384, 'ecdsa-p384'],
  ]),
};

const keyAad = (csrId: number) => `csr-key:${csrId}`;

// ---- Use cases ---------------------------------------------------------------------------------

/** CreateCsr: generates a key (off the event loop), builds and stores the CSR with the sealed key. */
export async function createCsr(
  deps: CsrDeps,
  accountId: number,
  input: CreateCsrInput,
): Promise<{ id: number; csrPem: string }> {
  const { algorithm, keyAlgorithm } = chooseKey(input.algorithm, input.keySize);
  const commonName = readCommonName(input.commonName);
  const sans = readSans(input.sans ?? '', commonName);
  const countryCode = readCountryCode(input.countryCode);
  const province = readText(input.province, 'Province', MAX_STATE_OR_LOCALITY, true);
  const locality = readText(input.locality, 'Locality', MAX_STATE_OR_LOCALITY, true);
  const corpName = readText(input.corpName, 'CorpName', MAX_ORGANIZATION, false);
  const department = readText(input.department, 'Department', MAX_ORGANIZATION, false);
  const name = input.name === undefined || input.name === '' ? commonName : readCsrName(input.name);

  // The usual subject order, most general first; optional attributes are left out when empty
  // (an empty DirectoryString is not allowed: RFC 5280 Appendix A.1, SIZE (1..ub)).
  const subject: Array<[string, string]> = [
    [OID.countryName, countryCode],
    [OID.stateOrProvinceName, province],
    [OID.localityName, locality],
  ];
  if (corpName) subject.push([OID.organizationName, corpName]);
  if (department) subject.push([OID.organizationalUnitName, department]);
  subject.push([OID.commonName, commonName]);

  const privateKey = await generateKeyPair(keyAlgorithm);
  // The CommonName is requested in the SAN too: certificates carry every name there (BR §7.1.2.7.12).
  const der = buildCsr({ privateKey, subject, dnsNames: [commonName, ...sans] });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });

  const row = await insertCsr(deps, privateKey, {
    account_id: accountId,
    name,
    common_name: commonName,
    sans: sans.join(','),
    algorithm,
    key_size: input.keySize,
    csr_der: der.toString('base64'),
    key_sha2: sha256Hex(spki),
    corp_name: corpName,
    department,
    country_code: countryCode,
    province,
    locality,
    created_at: deps.clock.now(),
  });
  return { id: row.id, csrPem: toPem('CERTIFICATE REQUEST', der) };
}

/** UploadCsr: stores a customer's CSR (verified, key policy applied), optionally with its private key. */
export async function uploadCsr(deps: CsrDeps, accountId: number, input: UploadCsrInput): Promise<{ id: number }> {
  const name = input.name === undefined || input.name === '' ? undefined : readCsrName(input.name);
  const parsed = await parseCsr(input.csr);
  checkSubscriberKey(parsed.key);
  const { algorithm, keySize } = describeKey(parsed.key);
  const keySha2 = sha256Hex(parsed.spki);
  const privateKey = input.key === undefined || input.key === '' ? undefined : readPrivateKey(input.key);
  if (privateKey) requireMatchingKey(privateKey, keySha2);

  const first = (oid: string) => parsed.subject.find((a) => a.oid === oid)?.value ?? '';
  const commonName = parsed.commonName ?? '';
  // Secondary names as written, without the CommonName and without repeats (DNS names are
  // case-insensitive, RFC 4343).
  const seen = new Set([commonName.toLowerCase()]);
  const sans: string[] = [];
  for (const dns of parsed.dnsNames) {
    if (seen.has(dns.toLowerCase())) continue;
    seen.add(dns.toLowerCase());
    sans.push(dns);
  }
  const row = await insertCsr(deps, privateKey, {
    account_id: accountId,
    name: name ?? (commonName || parsed.dnsNames[0] || ''),
    common_name: commonName,
    sans: sans.join(','),
    algorithm,
    key_size: keySize,
    csr_der: parsed.der.toString('base64'),
    key_sha2: keySha2,
    corp_name: first(OID.organizationName),
    department: first(OID.organizationalUnitName),
    country_code: first(OID.countryName),
    province: first(OID.stateOrProvinceName),
    locality: first(OID.localityName),
    created_at: deps.clock.now(),
  });
  return { id: row.id };
}

/** UpdateCsr: sets or replaces the private key of a CSR; the key must match the CSR. */
export async function updateCsrKey(deps: CsrDeps, accountId: number, csrId: number, keyPem: string): Promise<void> {
  const row = await requireCsr(deps, accountId, csrId);
  const privateKey = readPrivateKey(keyPem);
  requireMatchingKey(privateKey, row.key_sha2);
  const sealed = sealKey(deps, row.id, privateKey);
  if (!(await deps.store.repos.csrs.setKey(accountId, row.id, sealed))) throw new CertError('not_found', NOT_FOUND);
}

export async function deleteCsr(deps: CsrDeps, accountId: number, csrId: number): Promise<void> {
  if (!(await deps.store.repos.csrs.remove(accountId, csrId))) throw new CertError('not_found', NOT_FOUND);
}

export async function getCsrDetail(deps: CsrDeps, accountId: number, csrId: number): Promise<CsrDetail> {
  const row = await requireCsr(deps, accountId, csrId);
  return {
    csrPem: toPem('CERTIFICATE REQUEST', Buffer.from(row.csr_der, 'base64')),
    privateKeyPem:
      row.key_sealed === null ? '' : toPem('PRIVATE KEY', deps.sealer.open(row.key_sealed, keyAad(row.id))),
  };
}

export async function listCsrs(
  deps: CsrDeps,
  accountId: number,
  q: { algorithm?: string; keyword?: string; page: number; pageSize: number },
): Promise<{ total: number; items: CsrSummary[] }> {
  const { total, rows } = await deps.store.repos.csrs.page(accountId, {
    algorithm: q.algorithm,
    keyword: q.keyword,
    offset: (q.page - 1) * q.pageSize,
    limit: q.pageSize,
  });
  return { total, items: rows.map(toSummary) };
}

// ---- Storage -----------------------------------------------------------------------------------

type CsrFields = Omit<CsrRow, 'id' | 'key_sealed'>;

/**
 * Inserts the CSR and, when there is one, its sealed key in one transaction: the key is sealed
 * with the row id in its associated data (so a sealed key copied to another row does not open),
 * and the id exists only once the row does.
 */
async function insertCsr(deps: CsrDeps, privateKey: KeyObject | undefined, fields: CsrFields): Promise<CsrRow> {
  return deps.store.writeTransaction(async (repos) => {
    const row = await repos.csrs.insert({ ...fields, key_sealed: null });
    if (privateKey) await repos.csrs.setKey(fields.account_id, row.id, sealKey(deps, row.id, privateKey));
    return row;
  });
}

function sealKey(deps: CsrDeps, csrId: number, privateKey: KeyObject): string {
  return deps.sealer.seal(privateKey.export({ type: 'pkcs8', format: 'der' }), keyAad(csrId));
}

async function requireCsr(deps: CsrDeps, accountId: number, csrId: number): Promise<CsrRow> {
  const row = await deps.store.repos.csrs.get(accountId, csrId);
  if (!row) throw new CertError('not_found', NOT_FOUND);
  return row;
}

function toSummary(r: CsrRow): CsrSummary {
  return {
    id: r.id,
    name: r.name,
    commonName: r.common_name,
    sans: r.sans,
    algorithm: r.algorithm,
    keySize: r.key_size,
    keySha2: r.key_sha2,
    hasPrivateKey: r.key_sealed !== null,
    corpName: r.corp_name,
    department: r.department,
    countryCode: r.country_code,
    province: r.province,
    locality: r.locality,
  };
}

// ---- Input rules -------------------------------------------------------------------------------

function chooseKey(algorithm: string, keySize: number): { algorithm: CsrAlgorithm; keyAlgorithm: KeyAlgorithm } {
  if (algorithm === 'SM2') {
    // SM2 (GB/T 32918) is not among the Web PKI's key algorithms (BR §6.1.5), and node's
    // OpenSSL build cannot sign SM2 CSRs.
    throw new CertError('invalid_parameter', 'certdesk does not support SM2 keys; use Algorithm RSA or ECC.');
  }
  if (algorithm !== 'RSA' && algorithm !== 'ECC')
    throw new CertError('invalid_parameter', 'The parameter Algorithm must be RSA or ECC.');
  const keyAlgorithm = KEY_CHOICES[algorithm].get(keySize);
  if (keyAlgorithm === undefined) {
    throw new CertError(
      'invalid_parameter',
      algorithm === 'RSA'
        ? 'For RSA, KeySize must be 2048, 3072 or 4096.'
        : 'For ECC, KeySize must be 256 (P-256) or 384 (P-384).',
    );
  }
  return { algorithm, keyAlgorithm };
}

function describeKey(key: PublicKeyInfo): { algorithm: CsrAlgorithm; keySize: number } {
  // Called after checkSubscriberKey: only RSA and P-256/P-384 remain.
  if (key.type === 'rsa') return { algorithm: 'RSA', keySize: key.bits };
  if (key.type === 'ec' && key.curve === 'P-256') return { algorithm: 'ECC', keySize: 256 };
  if (key.type === 'ec' && key.curve === 'P-384') return { algorithm: 'ECC', keySize: 384 };
  throw new CertError('bad_key', 'The CSR key is not an RSA or ECDSA P-256/P-384 key.');
}

function readCsrName(name: string): string {
  if (!CSR_NAME.test(name)) {
    throw new CertError('invalid_parameter', 'The parameter Name must be 1 to 50 letters, digits, "_", "-" or ".".');
  }
  return name;
}

function readText(value: string | undefined, field: string, max: number, required: boolean): string {
  const v = (value ?? '').trim();
  if (v === '') {
    if (required) throw new CertError('missing_parameter', `The parameter ${field} is required.`);
    return '';
  }
  if (v.length > max)
    throw new CertError('invalid_parameter', `The parameter ${field} is longer than ${max} characters.`);
  if (CONTROL_CHARS.test(v))
    throw new CertError('invalid_parameter', `The parameter ${field} contains a control character.`);
  return v;
}

function readCountryCode(value: string): string {
  // countryName is an ISO 3166 two-letter code, PrintableString SIZE (2) (RFC 5280 Appendix A.1).
  const v = value.trim();
  if (!/^[A-Za-z]{2}$/.test(v))
    throw new CertError(
      'invalid_parameter',
      'The parameter CountryCode must be a two-letter country code, e.g. CN or US.',
    );
  return v.toUpperCase();
}

function readCommonName(raw: string): string {
  const name = normalizeDomainName(raw);
  checkDomainName(name);
  if (name.length > MAX_COMMON_NAME) {
    throw new CertError(
      'invalid_parameter',
      `The CommonName is longer than ${MAX_COMMON_NAME} characters (RFC 5280 ub-common-name); put long names in Sans.`,
    );
  }
  return name;
}

/** The Sans list: comma-separated, empty items ignored, normalized, duplicates and the CommonName dropped. */
function readSans(raw: string, commonName: string): string[] {
  const sans: string[] = [];
  for (const item of raw.split(',')) {
    if (item.trim() === '') continue;
    const name = normalizeDomainName(item);
    if (name === commonName || sans.includes(name)) continue;
    checkDomainName(name);
    sans.push(name);
    // A CSR with more names than any application accepts (CAS API reference, certificate order actions: up to 5) is of no use here.
    if (sans.length + 1 > MAX_NAMES) {
      throw new CertError(
        'invalid_parameter',
        `At most ${MAX_NAMES} domain names (CommonName and Sans together) are allowed.`,
      );
    }
  }
  return sans;
}

/**
 * The per-name issuance rules of policy/names.ts (syntax, public suffix, no IP addresses or
 * internal names, wildcard only as the leftmost label), without the rules about combining
 * names: a CSR may mix single and wildcard names, the application decides. names.ts keeps its
 * per-name check private, so each name is checked alone against a catalogue product of its
 * own kind (single or wildcard), which applies exactly those rules.
 */
function checkDomainName(name: string): void {
  checkNamesForProduct([name], productOfKind(isWildcard(name) ? 'wildcard' : 'single'));
}

function productOfKind(kind: Product['domains']): Product {
  const p = PRODUCTS.find((x) => x.domains === kind);
  if (!p) throw new CertError('internal', `no ${kind} product in the catalogue`);
  return p;
}

// ---- Keys --------------------------------------------------------------------------------------

const PEM_PRIVATE_KEY = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/;

/** A PEM private key (PKCS#8, PKCS#1 or SEC 1). Messages are fixed: nothing of the key is echoed. */
function readPrivateKey(pem: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
    throw new CertError('bad_key', 'The private key is encrypted; send it without a passphrase.');
  }
  if (!PEM_PRIVATE_KEY.test(pem)) throw new CertError('bad_key', 'The Key must be a PEM private key.');
  try {
    // A passphrase that is never used: an encrypted key the checks above missed fails here
    // instead of waiting for one.
    return createPrivateKey({ key: pem, format: 'pem', passphrase: '' });
  } catch {
    throw new CertError('bad_key', 'The Key is not a readable PEM private key.');
  }
}

function requireMatchingKey(privateKey: KeyObject, keySha2: string): void {
  let spki: Buffer;
  try {
    spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  } catch {
    throw new CertError('bad_key', 'The private key does not match the CSR.');
  }
  if (sha256Hex(spki) !== keySha2) throw new CertError('bad_key', 'The private key does not match the CSR.');
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
