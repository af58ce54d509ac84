// Request signatures of the CAS RPC front end: parse a raw request into the signed pieces,
// then let the gateway run the checks in order of cost (content hash, timestamp, nonce,
// signature). Two schemes exist on the wire (Alibaba Cloud API reference, RPC request syntax, §3):
//   - ACS3-HMAC-SHA256 / ACS3-HMAC-SM3: `Authorization` header, the SDK default (§2.1, §3.1);
//   - RPC v1 HMAC-SHA1: `Signature` in the query, legacy SDKs and tools (§2.2, §3.2).
// The raw query is never signed as received: it is decoded and re-encoded (§10 item 4).

import { isUtf8 } from 'node:buffer';
import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';
import { CertError } from '../../domain/errors.js';

export type SignatureScheme = 'ACS3-HMAC-SHA256' | 'ACS3-HMAC-SM3' | 'RPC-HMAC-SHA1';
type Acs3Scheme = 'ACS3-HMAC-SHA256' | 'ACS3-HMAC-SM3';

export interface IncomingSignedRequest {
  /** HTTP method as received, e.g. 'POST'. */
  method: string;
  /** `req.url`, e.g. '/?OrderId=1&...'. */
  rawUrl: string;
  /** Node's flat `IncomingMessage.rawHeaders`: [name, value, name, value, ...]. */
  rawHeaders: readonly string[];
  /** The raw body (usually empty). */
  body: Buffer;
}

/** What the ACS3 signature covers (Alibaba Cloud API reference, V3 request signature (ACS3-HMAC-SHA256) step 5); internal to verifySignature. */
export interface Acs3Proof {
  readonly kind: 'acs3';
  readonly method: string;
  readonly canonicalUri: string;
  /** Decoded parameters of the URL query only (a form body is covered by the content hash). */
  readonly query: ReadonlyMap<string, string>;
  readonly canonicalHeaders: string;
  readonly signedHeaders: string;
  /** x-acs-content-sha256 as received: the HashedPayload of the canonical request. */
  readonly contentHash: string;
  /** The 32 signature bytes from the Authorization header. */
  readonly signature: Buffer;
}

/** What the RPC v1 signature covers (Alibaba Cloud API reference, RPC signature v1 (HMAC-SHA1)); internal to verifySignature. */
export interface RpcV1Proof {
  readonly kind: 'rpc-v1';
  readonly method: string;
  /** Every decoded parameter of query and form body except `Signature`. */
  readonly signedParams: ReadonlyMap<string, string>;
  /** The base64 `Signature` parameter, decoded from the query. */
  readonly signature: string;
}

export interface SignedRequest {
  readonly scheme: SignatureScheme;
  readonly accessKeyId: string;
  /** ACS3: x-acs-action header; v1: query `Action` (an unsigned x-acs-action is ignored, §2.2). */
  readonly action: string | undefined;
  /** ACS3: x-acs-version header; v1: query `Version`. */
  readonly version: string | undefined;
  /** ACS3: x-acs-date header; v1: `Timestamp`. */
  readonly timestamp: string | undefined;
  /** ACS3: x-acs-signature-nonce header; v1: `SignatureNonce`. */
  readonly nonce: string | undefined;
  /** ACS3: x-acs-security-token header; v1: `SecurityToken`. */
  readonly securityToken: string | undefined;
  /**
   * Business parameters only, decoded. For v1 the common parameters (V1_COMMON_PARAMS) are
   * removed. Includes form-body parameters when content-type is application/x-www-form-urlencoded.
   */
  readonly params: ReadonlyMap<string, string>;
  /** The signed pieces; only verifySignature reads them. */
  readonly proof: Acs3Proof | RpcV1Proof;
}

// ---------------------------------------------------------------------------------------
// Encoding

// encodeURIComponent leaves `! ' ( ) *` raw; RFC 3986 (and both signature schemes, §3.1)
// escape everything except A-Z a-z 0-9 - _ . ~.
const SUB_DELIMS_LEFT_RAW = /[!'()*]/g;
function escapeSubDelim(c: string): string {
  switch (c) {
    case '!':
      return '%21';
    case "'":
      return '%27';
    case '(':
      return '%28';
    case ')':
      return '%29';
    default:
      return '%2A';
  }
}

/** RFC 3986 percent-encoding of the UTF-8 bytes, upper-case hex, space as %20 (Alibaba Cloud API reference, V3 request signature (ACS3-HMAC-SHA256)). */
export function percentEncode(s: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(s);
  } catch {
    // Only a lone UTF-16 surrogate makes encodeURIComponent throw.
    throw new CertError('invalid_parameter', 'A parameter contains an invalid character.');
  }
  return encoded.replace(SUB_DELIMS_LEFT_RAW, escapeSubDelim);
}

const PLUS = /\+/g;

/**
 * A form body as text: it must be valid UTF-8 (WHATWG URL, application/x-www-form-urlencoded
 * parsing decodes it so), since a lenient decode would turn broken bytes into U+FFFD
 * and store something the client never sent.
 */
function formBody(body: Buffer): string {
  if (!isUtf8(body)) throw new CertError('invalid_parameter', 'The request body is not valid UTF-8.');
  return body.toString('utf8');
}

/** Form-style decoding as the reference verifier does: `+` is a space, then %XX (UTF-8). */
function decodeComponent(s: string): string {
  const hasPlus = s.includes('+');
  if (!hasPlus && !s.includes('%')) return s;
  try {
    return decodeURIComponent(hasPlus ? s.replace(PLUS, ' ') : s);
  } catch {
    throw new CertError('invalid_parameter', 'The request parameters are not correctly percent-encoded.');
  }
}

/**
 * Decodes `a=1&b=2` into `into`. Empty segments are skipped; a name given twice (here or
 * in an earlier source merged into the same map) is rejected, since a server and a
 * signer could otherwise disagree on which value counts.
 */
function parseParamsInto(into: Map<string, string>, qs: string): void {
  let start = 0;
  while (start <= qs.length) {
    let end = qs.indexOf('&', start);
    if (end < 0) end = qs.length;
    if (end > start) {
      const eq = qs.indexOf('=', start);
      const hasValue = eq >= 0 && eq < end;
      const name = decodeComponent(qs.slice(start, hasValue ? eq : end));
      const value = hasValue ? decodeComponent(qs.slice(eq + 1, end)) : '';
      if (name === '') throw new CertError('invalid_parameter', 'A request parameter has an empty name.');
      if (into.has(name)) throw new CertError('invalid_parameter', `The parameter ${name.slice(0, 64)} is repeated.`);
      into.set(name, value);
    }
    start = end + 1;
  }
}

/**
 * Orders strings by Unicode code point, which equals the UTF-8 byte order the schemes sort
 * by (§3.1). Plain `<` compares UTF-16 units and misorders astral characters against
 * U+E000..U+FFFF; this remaps the units so the order matches.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/** `enc(k)=enc(v)` sorted by name and joined with `&` (§3.1 step 5, §3.2 step 3). */
function canonicalizeParams(params: ReadonlyMap<string, string>): string {
  if (params.size === 0) return '';
  const names = Array.from(params.keys()).sort(compareCodePoints);
  let out = '';
  for (const name of names) {
    if (out !== '') out += '&';
    out += percentEncode(name) + '=' + percentEncode(params.get(name) ?? '');
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Headers

type HeaderValues = Map<string, string | string[]>;

/** Groups node's flat rawHeaders by lower-case name, keeping every repeat. */
function groupHeaders(rawHeaders: readonly string[]): HeaderValues {
  const out: HeaderValues = new Map();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    const prev = out.get(name);
    if (prev === undefined) out.set(name, value);
    else if (typeof prev === 'string') out.set(name, [prev, value]);
    else prev.push(value);
  }
  return out;
}

/** The single value of a header; a repeated one is refused because its meaning is ambiguous. */
function singleHeader(headers: HeaderValues, name: string): string | undefined {
  const v = headers.get(name);
  if (v === undefined || typeof v === 'string') return v;
  throw new CertError('invalid_parameter', `The header ${name} is repeated.`);
}

/** Canonical header value: trimmed; repeats trimmed, sorted and joined with ',' (§3.1 step 5). */
function canonicalHeaderValue(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v.trim();
  return v
    .map((x) => x.trim())
    .sort()
    .join(',');
}

function isFormContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(';');
  const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return media === 'application/x-www-form-urlencoded';
}

// ---------------------------------------------------------------------------------------
// Parsing

// `<algorithm> Credential=<id>,SignedHeaders=<h1;h2;...>,Signature=<64 lower-case hex>`, no
// spaces after the commas (§3.1 step 1). Header names are lower-case RFC 9110 tokens.
const ACS3_AUTHORIZATION =
  /^(ACS3-HMAC-SHA256|ACS3-HMAC-SM3) Credential=([^,\s]+),SignedHeaders=([a-z0-9!#$%&'*+.^_`|~-]+(?:;[a-z0-9!#$%&'*+.^_`|~-]+)*),Signature=([0-9a-f]{64})$/;
const ACS3_SCHEME_PREFIX = 'ACS3-HMAC-';

/** §3.1 step 5: the least an ACS3 request must sign. */
const ACS3_REQUIRED_SIGNED = [
  'host',
  'x-acs-action',
  'x-acs-version',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-content-sha256',
] as const;

/** v1 common parameters (§2.2); everything else is a business parameter. RegionId is not
 *  here: MoveResourceGroup takes it as a business parameter. */
const V1_COMMON_PARAMS: ReadonlySet<string> = new Set([
  'Action',
  'Version',
  'Format',
  'Timestamp',
  'SignatureNonce',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureType',
  'AccessKeyId',
  'Signature',
  'SecurityToken',
]);

/**
 * Splits a raw request into the signed pieces without checking the signature. Throws
 * CertError('incomplete_signature') when the request is not signed in a form we accept and
 * CertError('invalid_parameter') for a malformed query or body.
 */
export function parseSignedRequest(req: IncomingSignedRequest): SignedRequest {
  const headers = groupHeaders(req.rawHeaders);
  const q = req.rawUrl.indexOf('?');
  const path = q < 0 ? req.rawUrl : req.rawUrl.slice(0, q);
  const query = new Map<string, string>();
  if (q >= 0) parseParamsInto(query, req.rawUrl.slice(q + 1));

  const authorization = headers.get('authorization');
  if (authorization !== undefined) return parseAcs3(req, headers, authorization, path, query);
  if (query.has('Signature') || query.has('SignatureMethod')) return parseRpcV1(req, headers, query);
  throw new CertError('incomplete_signature', 'The request is not signed.');
}

function parseAcs3(
  req: IncomingSignedRequest,
  headers: HeaderValues,
  authorization: string | string[],
  path: string,
  query: Map<string, string>,
): SignedRequest {
  if (typeof authorization !== 'string') {
    throw new CertError('incomplete_signature', 'The Authorization header is repeated.');
  }
  const m = ACS3_AUTHORIZATION.exec(authorization);
  if (m === null) {
    const unknownAlgorithm =
      !authorization.startsWith(ACS3_SCHEME_PREFIX + 'SHA256 ') &&
      !authorization.startsWith(ACS3_SCHEME_PREFIX + 'SM3 ');
    throw new CertError(
      'incomplete_signature',
      unknownAlgorithm ? 'The signature algorithm is not supported.' : 'The Authorization header is malformed.',
    );
  }
  const scheme = m[1] as Acs3Scheme;
  const accessKeyId = m[2] as string;
  const signedHeaders = m[3] as string;
  const signatureHex = m[4] as string;

  const signedNames = signedHeaders.split(';');
  for (const required of ACS3_REQUIRED_SIGNED) {
    if (!signedNames.includes(required) || !headers.has(required)) {
      throw new CertError('incomplete_signature', `The header ${required} is missing or not signed.`);
    }
  }

  singleHeader(headers, 'host'); // only to refuse a repeated Host
  const action = singleHeader(headers, 'x-acs-action');
  const version = singleHeader(headers, 'x-acs-version');
  const timestamp = singleHeader(headers, 'x-acs-date');
  const nonce = singleHeader(headers, 'x-acs-signature-nonce');
  const contentHash = singleHeader(headers, 'x-acs-content-sha256') as string;
  const securityToken = singleHeader(headers, 'x-acs-security-token');
  // The token authenticates the caller (§3.1 step 2), so it must be covered by the signature.
  if (securityToken !== undefined && !signedNames.includes('x-acs-security-token')) {
    throw new CertError('incomplete_signature', 'The header x-acs-security-token is not signed.');
  }

  let canonicalHeaders = '';
  for (const name of signedNames) {
    canonicalHeaders += name + ':' + canonicalHeaderValue(headers.get(name)) + '\n';
  }

  // Form-body parameters are covered by x-acs-content-sha256; the content-type that makes
  // them parameters must be signed too, or a relay could flip how the body is read.
  let params: Map<string, string> = query;
  const contentType = singleHeader(headers, 'content-type');
  if (req.body.length > 0 && isFormContentType(contentType)) {
    if (!signedNames.includes('content-type')) {
      throw new CertError('incomplete_signature', 'The header content-type is not signed.');
    }
    params = new Map(query);
    parseParamsInto(params, formBody(req.body));
  }

  return {
    scheme,
    accessKeyId,
    action,
    version,
    timestamp,
    nonce,
    securityToken,
    params,
    proof: {
      kind: 'acs3',
      method: req.method.toUpperCase(),
      canonicalUri: path === '' ? '/' : path,
      query,
      canonicalHeaders,
      signedHeaders,
      contentHash,
      signature: Buffer.from(signatureHex, 'hex'),
    },
  };
}

function parseRpcV1(req: IncomingSignedRequest, headers: HeaderValues, query: Map<string, string>): SignedRequest {
  // §3.2 step 1: a form body adds to the signed parameters.
  const all = query;
  if (req.body.length > 0 && isFormContentType(singleHeader(headers, 'content-type'))) {
    parseParamsInto(all, formBody(req.body));
  }
  const signature = all.get('Signature');
  const accessKeyId = all.get('AccessKeyId');
  if (signature === undefined || signature === '') {
    throw new CertError('incomplete_signature', 'The Signature parameter is missing.');
  }
  if (accessKeyId === undefined || accessKeyId === '') {
    throw new CertError('incomplete_signature', 'The AccessKeyId parameter is missing.');
  }
  if (all.get('SignatureMethod') !== 'HMAC-SHA1' || all.get('SignatureVersion') !== '1.0') {
    throw new CertError(
      'incomplete_signature',
      'Only SignatureMethod HMAC-SHA1 with SignatureVersion 1.0 is supported.',
    );
  }

  const params = new Map<string, string>();
  for (const [k, v] of all) if (!V1_COMMON_PARAMS.has(k)) params.set(k, v);
  all.delete('Signature');

  return {
    scheme: 'RPC-HMAC-SHA1',
    accessKeyId,
    action: all.get('Action'),
    version: all.get('Version'),
    timestamp: all.get('Timestamp'),
    nonce: all.get('SignatureNonce'),
    securityToken: all.get('SecurityToken'),
    params,
    proof: { kind: 'rpc-v1', method: req.method.toUpperCase(), signedParams: all, signature },
  };
}

// ---------------------------------------------------------------------------------------
// Checks

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const EMPTY_SM3 = createHash('sm3').update('').digest('hex');

function acs3Digest(scheme: SignatureScheme): 'sha256' | 'sm3' {
  return scheme === 'ACS3-HMAC-SM3' ? 'sm3' : 'sha256';
}

/** Hex digest of a body under an ACS3 scheme, with the empty body (the usual case) precomputed. */
function hashPayload(scheme: SignatureScheme, body: Buffer): string {
  const algo = acs3Digest(scheme);
  if (body.length === 0) return algo === 'sm3' ? EMPTY_SM3 : EMPTY_SHA256;
  return hash(algo, body, 'hex'); // one-shot: no Hash object per request
}

/**
 * ACS3: the body received must hash to x-acs-content-sha256 (SHA-256 or SM3, §3.1 step 3).
 * RPC v1 signs no body hash, so this is a no-op there.
 */
export function checkContentHash(req: SignedRequest, body: Buffer): void {
  if (req.proof.kind !== 'acs3') return;
  if (hashPayload(req.scheme, body) !== req.proof.contentHash) {
    throw new CertError('content_hash_mismatch', 'The x-acs-content-sha256 header does not match the request body.');
  }
}

const ACS_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/**
 * Parses the ACS timestamp (`x-acs-date` / v1 `Timestamp`): UTC `YYYY-MM-DDThh:mm:ssZ`
 * exactly, no milliseconds or offsets (§2.1, §3.2). Returns epoch milliseconds.
 */
export function parseAcsTimestamp(s: string | undefined): number {
  if (s === undefined || s === '') {
    throw new CertError('missing_parameter', 'The timestamp of the request is missing.');
  }
  const m = ACS_TIMESTAMP.exec(s);
  if (m !== null) {
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    const hour = Number(m[4]);
    const minute = Number(m[5]);
    const second = Number(m[6]);
    if (month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59) {
      // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
      const d = new Date(0);
      d.setUTCFullYear(year, month - 1, day);
      // A day past the end of the month rolls over; that is a malformed date, not a later one.
      if (d.getUTCMonth() === month - 1) return d.getTime() + ((hour * 60 + minute) * 60 + second) * 1000;
    }
  }
  throw new CertError('invalid_parameter', 'The specified timestamp is not in the YYYY-MM-DDThh:mm:ssZ format.');
}

function acs3Signature(scheme: Acs3Scheme, secret: string, canonicalRequest: string): Buffer {
  const algo = acs3Digest(scheme);
  // §3.1 steps 6-7: the key is the secret as-is (no '&', unlike v1).
  const stringToSign = scheme + '\n' + hash(algo, canonicalRequest, 'hex');
  return createHmac(algo, secret).update(stringToSign, 'utf8').digest();
}

function acs3CanonicalRequest(p: Acs3Proof): string {
  return (
    p.method +
    '\n' +
    p.canonicalUri +
    '\n' +
    canonicalizeParams(p.query) +
    '\n' +
    p.canonicalHeaders +
    '\n' +
    p.signedHeaders +
    '\n' +
    p.contentHash
  );
}

function rpcV1Signature(method: string, secret: string, signedParams: ReadonlyMap<string, string>): string {
  // §3.2 steps 4-5: METHOD&%2F&enc(canonicalized), keyed with secret + '&'.
  const stringToSign = method + '&%2F&' + percentEncode(canonicalizeParams(signedParams));
  return createHmac('sha1', secret + '&')
    .update(stringToSign, 'utf8')
    .digest('base64');
}

/**
 * Recomputes the signature with `secret` and compares it in constant time. Run it last,
 * after the content hash, timestamp and nonce checks.
 */
export function verifySignature(req: SignedRequest, secret: string): boolean {
  const p = req.proof;
  let expected: Buffer;
  let received: Buffer;
  if (p.kind === 'acs3') {
    expected = acs3Signature(req.scheme as Acs3Scheme, secret, acs3CanonicalRequest(p));
    received = p.signature;
  } else {
    expected = Buffer.from(rpcV1Signature(p.method, secret, p.signedParams), 'latin1');
    received = Buffer.from(p.signature, 'utf8');
  }
  // timingSafeEqual needs equal lengths; a length mismatch reveals only the length, which
  // the algorithm already makes public, and still does the same amount of comparing.
  if (received.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(expected, received);
}

// ---------------------------------------------------------------------------------------
// Client side

export interface SignAcs3Options {
  scheme?: Acs3Scheme;
  accessKeyId: string;
  secret: string;
  host: string;
  action: string;
  version: string;
  params: Record<string, string>;
  /** `YYYY-MM-DDThh:mm:ssZ`. */
  date: string;
  nonce: string;
  /** Added as given; the SDK signs `x-acs-*` and `content-type` ones, and so does this. */
  extraHeaders?: Record<string, string>;
  /** The body the request will carry (default empty); only its hash is signed. */
  body?: Buffer;
}

/**
 * Signs a request the way the SDK does (§2.1, §3.1), for tests and tools that craft raw
 * requests. Returns the request path with the canonical query and the headers
 * (lower-case names, `authorization` included).
 */
export function signAcs3(opts: SignAcs3Options): { path: string; headers: Record<string, string> } {
  const scheme = opts.scheme ?? 'ACS3-HMAC-SHA256';
  const contentHash = hashPayload(scheme, opts.body ?? Buffer.alloc(0));
  const headers: Record<string, string> = {
    host: opts.host,
    'x-acs-action': opts.action,
    'x-acs-version': opts.version,
    'x-acs-date': opts.date,
    'x-acs-signature-nonce': opts.nonce,
    'x-acs-content-sha256': contentHash,
  };
  for (const [name, value] of Object.entries(opts.extraHeaders ?? {})) headers[name.toLowerCase()] = value;

  const signedNames = Object.keys(headers)
    .filter((n) => n === 'host' || n === 'content-type' || n.startsWith('x-acs-'))
    .sort();
  let canonicalHeaders = '';
  for (const name of signedNames) canonicalHeaders += name + ':' + (headers[name] ?? '').trim() + '\n';
  const signedHeaders = signedNames.join(';');

  const query = new Map(Object.entries(opts.params));
  const canonicalQuery = canonicalizeParams(query);
  const signature = acs3Signature(
    scheme,
    opts.secret,
    acs3CanonicalRequest({
      kind: 'acs3',
      method: 'POST',
      canonicalUri: '/',
      query,
      canonicalHeaders,
      signedHeaders,
      contentHash,
      signature: Buffer.alloc(0),
    }),
  );
  headers['authorization'] =
    `${scheme} Credential=${opts.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature.toString('hex')}`;
  return { path: canonicalQuery === '' ? '/' : '/?' + canonicalQuery, headers };
}
