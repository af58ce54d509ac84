// Request authentication (RFC 8555 §6.2-§6.5), in order of cost; the first failure decides
// the answer. Parsing is ours (what the protected header must and must not hold); the
// signature is jose's (docs/decisions/0021-acme-jws-jose.md).
import { KeyObject, verify } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { calculateJwkThumbprint, flattenedVerify, importJWK, type FlattenedJWS, type JWK } from 'jose';
import { CertError } from '../../domain/errors.js';
import type { AcmeAccount, AcmeProblemType, PublicJwk } from '../../domain/acme.js';
import type { Actor } from '../../domain/audit.js';
import type { AcmeEngine } from '../../orders/acme/engine.js';
import type { AcmeFrontDeps, AcmeUrls } from './context.js';

export const JOSE_TYPE = 'application/jose+json';
export const SUPPORTED_ALGORITHMS = ['RS256', 'ES256', 'ES384', 'ES512'] as const;
export const BAD_NONCE_DETAIL = 'JWS has an invalid anti-replay nonce';

export function problem(
  type: AcmeProblemType,
  message: string,
  extra: Record<string, unknown> = {},
  kind: CertError['kind'] = 'invalid_parameter',
): CertError {
  return new CertError(kind, message, { detail: { acme: type, ...extra } });
}

const malformed = (m: string, extra: Record<string, unknown> = {}) => problem('malformed', m, extra);

export interface VerifiedJws {
  /** '' for POST-as-GET (§6.3), else the decoded JSON object. */
  payload: '' | Record<string, unknown>;
  /** The signer when the request carried `kid`. */
  account?: AcmeAccount;
  /** The signer's key when the request carried `jwk`. */
  jwk?: PublicJwk;
  thumbprint?: string;
  header: Record<string, unknown>;
  /** The use cases acting for the signer (audit trail): its account, or a key's holder for `jwk`. */
  engine: AcmeEngine;
}

/**
 * Who a verified request is, for the audit trail (domain/audit.ts): the account whose key
 * signed it (`kid`), else the holder of the embedded key (newAccount, revokeCert by the
 * certificate key), who is no account yet, like a relying party revoking by key proof.
 */
export function acmeActor(account: AcmeAccount | undefined, request: FastifyRequest): Actor {
  return account
    ? { kind: 'acme_account', id: account.urlId, remoteAddress: request.ip }
    : { kind: 'relying_party', id: null, remoteAddress: request.ip };
}

const EC_ALG: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

/** The members of a public JWK that identify it (RFC 7638 §3.2), nothing private. */
export function publicMembers(jwk: Record<string, unknown>): PublicJwk {
  if (jwk.kty === 'RSA' && typeof jwk.n === 'string' && typeof jwk.e === 'string')
    return { kty: 'RSA', n: jwk.n, e: jwk.e };
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string' && typeof jwk.x === 'string' && typeof jwk.y === 'string')
    return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
  throw problem('badPublicKey', 'Account keys must be RSA (2048-4096 bits) or EC P-256, P-384, P-521.');
}

/** §6.2 step 5-6: the key is acceptable and `alg` fits it. */
export function algorithmForKey(jwk: PublicJwk, alg: string, declaredAlg?: unknown): void {
  if (jwk.kty === 'RSA') {
    const n = Buffer.from(jwk.n!, 'base64url');
    let bits = n.length * 8;
    if (n.length > 0) bits -= Math.clz32(n[0]!) - 24;
    if (bits < 2048 || bits > 4096) throw problem('badPublicKey', 'RSA account keys must have 2048 to 4096 bits.');
    if (alg !== 'RS256') throw malformed(`alg ${alg} does not fit an RSA key (RS256).`);
  } else {
    const want = EC_ALG[jwk.crv ?? ''];
    if (!want) throw problem('badPublicKey', 'EC account keys must be on P-256, P-384 or P-521.');
    if (alg !== want) throw malformed(`alg ${alg} does not fit a ${jwk.crv} key (${want}).`);
  }
  if (declaredAlg !== undefined && declaredAlg !== alg)
    throw malformed('The JWK alg member disagrees with the JWS alg.');
}

function decodeJson(b64: string, what: string): unknown {
  if (!/^[A-Za-z0-9_-]*$/.test(b64)) throw malformed(`${what} is not base64url.`);
  try {
    return JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch {
    throw malformed(`${what} is not JSON.`);
  }
}

/** Parses and checks the flattened JWS structure and protected header (steps 2-4). */
export function parseJws(body: unknown): { jws: FlattenedJWS; header: Record<string, unknown>; alg: string } {
  let obj: unknown;
  try {
    obj = typeof body === 'string' ? JSON.parse(body) : body;
  } catch {
    throw malformed('The body is not JSON.');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw malformed('The body is not a JWS object.');
  const o = obj as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if ('header' in o) throw malformed('An unprotected header is not allowed (RFC 8555 §6.2).');
  if (
    keys !== 'payload,protected,signature' ||
    typeof o.protected !== 'string' ||
    typeof o.payload !== 'string' ||
    typeof o.signature !== 'string'
  )
    throw malformed('The body must be a flattened JWS with exactly protected, payload and signature.');
  const header = decodeJson(o.protected, 'The protected header');
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw malformed('The protected header is not an object.');
  const h = header as Record<string, unknown>;
  if (typeof h.alg !== 'string') throw malformed('The protected header has no alg.');
  if (typeof h.url !== 'string') throw malformed('The protected header has no url.');
  if ('jwk' in h === 'kid' in h) throw malformed('The protected header needs exactly one of jwk and kid.');
  if (h.b64 === false || 'crit' in h) throw malformed('crit and b64 are not supported.');
  if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(h.alg))
    throw problem('badSignatureAlgorithm', `The algorithm ${String(h.alg).slice(0, 20)} is not supported.`, {
      algorithms: [...SUPPORTED_ALGORITHMS],
    });
  return { jws: { protected: o.protected, payload: o.payload, signature: o.signature }, header: h, alg: h.alg };
}

/** Verifies a JWS signed by `jwk` (also the inner JWS of keyChange): steps 5-7 for an embedded key. */
export async function verifyWithJwk(
  jws: FlattenedJWS,
  header: Record<string, unknown>,
  alg: string,
): Promise<{ jwk: PublicJwk; thumbprint: string; payload: Uint8Array }> {
  if (typeof header.jwk !== 'object' || header.jwk === null) throw malformed('jwk must be an object.');
  const raw = header.jwk as Record<string, unknown>;
  const jwk = publicMembers(raw);
  algorithmForKey(jwk, alg, raw.alg);
  const payload = await verifySignature(jws, jwk, alg);
  return { jwk, thumbprint: await calculateJwkThumbprint(jwk, 'sha256'), payload };
}

/** The digest of each allowed algorithm (RFC 7518 §3.1). */
const DIGEST: Record<string, string> = { RS256: 'sha256', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };
const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * An account key's signature (`kid`), checked with node:crypto's synchronous verify over
 * ASCII(protected "." payload) (RFC 7515 §5.2): ECDSA in the raw r‖s form of RFC 7518 §3.4
 * (ieee-p1363), RS256 as PKCS#1 v1.5. jose's flattenedVerify runs the same check on the
 * thread pool and cost about 55 µs of CPU more per request
 * (docs/decisions/0027-acme-request-path.md). The header was checked by parseJws (no
 * `b64`, no `crit`, an allowed `alg` that fits the key), which is all jose adds for it.
 */
function verifyWithKey(jws: FlattenedJWS, key: KeyObject, alg: string): Uint8Array {
  const digest = DIGEST[alg];
  const protectedB64 = jws.protected ?? '';
  if (!digest || !B64URL.test(jws.payload) || !B64URL.test(jws.signature)) throw new Error('not a JWS');
  const ok = verify(
    digest,
    Buffer.from(`${protectedB64}.${jws.payload}`, 'ascii'),
    alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key,
    Buffer.from(jws.signature, 'base64url'),
  );
  if (!ok) throw new Error('bad signature');
  return Buffer.from(jws.payload, 'base64url');
}

async function verifySignature(jws: FlattenedJWS, jwk: PublicJwk | KeyObject, alg: string): Promise<Uint8Array> {
  try {
    if (jwk instanceof KeyObject) return verifyWithKey(jws, jwk, alg);
    return (await flattenedVerify(jws, await importJWK(jwk as JWK, alg), { algorithms: [alg] })).payload;
  } catch {
    throw malformed('The JWS signature does not verify.');
  }
}

export type SignerMode = 'kid' | 'jwk' | 'either';

/** Steps 1-10 of RFC 8555 §6.2-§6.5 for one POST. `requestUrl` is base + path + query as received. */
export async function verifyRequest(
  deps: AcmeFrontDeps,
  urls: AcmeUrls,
  request: FastifyRequest,
  mode: SignerMode,
): Promise<VerifiedJws> {
  const ct = request.headers['content-type'];
  if (ct !== JOSE_TYPE) throw malformed(`Content-Type must be ${JOSE_TYPE}.`, { status: 415 });
  const { jws, header, alg } = parseJws(request.body);
  if (typeof header.nonce !== 'string') throw problem('badNonce', `${BAD_NONCE_DETAIL}: the nonce is missing.`);
  if (mode === 'kid' && !('kid' in header))
    throw malformed('This resource needs a JWS signed with the account key (kid).');
  if (mode === 'jwk' && !('jwk' in header)) throw malformed('This resource needs a JWS carrying the key (jwk).');
  let account: AcmeAccount | undefined;
  let jwk: PublicJwk | undefined;
  let thumbprint: string | undefined;
  let payloadBytes: Uint8Array;
  if ('kid' in header) {
    const kid = header.kid;
    const id =
      typeof kid === 'string' && kid.startsWith(urls.accountPrefix) ? kid.slice(urls.accountPrefix.length) : '';
    account = /^[A-Za-z0-9_-]{8,64}$/.test(id) ? await deps.reads.repos.acme.accountByUrlId(id) : undefined;
    if (!account) throw problem('accountDoesNotExist', 'The kid names no account of this server.');
    if (account.status !== 'valid') throw problem('unauthorized', 'The account is deactivated.', {}, 'unauthorized');
    algorithmForKey(account.jwk, alg);
    payloadBytes = await verifySignature(jws, deps.accountKeys.get(account.thumbprint, account.jwk), alg);
  } else {
    ({ jwk, thumbprint, payload: payloadBytes } = await verifyWithJwk(jws, header, alg));
  }
  // Step 8: one winner, whichever process redeems it (store/repos/acme.ts redeemNonce).
  const fresh =
    /^[A-Za-z0-9_-]{22,64}$/.test(header.nonce) &&
    (await deps.nonces.repos.acme.redeemNonce(header.nonce, deps.clock.now()));
  if (!fresh || (deps.nonceRejectRate > 0 && Math.random() < deps.nonceRejectRate))
    throw problem('badNonce', `${BAD_NONCE_DETAIL}.`);
  // Step 9 (§6.4): byte for byte, so a JWS for one endpoint never serves another.
  if (header.url !== `${deps.baseUrl}${request.url}`) throw malformed('The JWS url is not the URL of this request.');
  let payload: VerifiedJws['payload'] = '';
  if (payloadBytes.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
    } catch {
      throw malformed('The JWS payload is not JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw malformed('The JWS payload is not a JSON object.');
    payload = parsed as Record<string, unknown>;
  }
  return {
    payload,
    header,
    engine: deps.engine.actingAs(acmeActor(account, request)),
    ...(account ? { account } : {}),
    ...(jwk ? { jwk, thumbprint: thumbprint! } : {}),
  };
}

/** Resource fetches accept only POST-as-GET (§6.3). */
export function requirePostAsGet(v: VerifiedJws): void {
  if (v.payload !== '') throw malformed('This resource is read with POST-as-GET (an empty payload).');
}

/** State-changing endpoints need a JSON object payload. */
export function requirePayload(v: VerifiedJws): Record<string, unknown> {
  if (v.payload === '') throw malformed('This request needs a JSON object payload.');
  return v.payload;
}
