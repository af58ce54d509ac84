// The project's own ACME (RFC 8555) client for tests: small, explicit, and able to send what
// real clients never send (the negative matrix). Signs with jose; talks HTTPS with undici's
// node:https with a keep-alive agent that trusts the certdesk root.
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import https from 'node:https';
import { CompactSign, FlattenedSign, calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

export interface AcmeResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export type AccountKeyType = 'ec256' | 'ec384' | 'ec521' | 'rsa2048';

export function newAccountKey(type: AccountKeyType = 'ec256'): KeyObject {
  if (type === 'rsa2048') return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const namedCurve = { ec256: 'P-256', ec384: 'P-384', ec521: 'P-521' }[type];
  return generateKeyPairSync('ec', { namedCurve }).privateKey;
}

export function algOf(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  const crv = key.asymmetricKeyDetails?.namedCurve;
  return crv === 'secp384r1' ? 'ES384' : crv === 'secp521r1' ? 'ES512' : 'ES256';
}

export async function publicJwk(key: KeyObject): Promise<JWK> {
  const jwk = await exportJWK(key);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

export interface SignOptions {
  /** Sign with `jwk` instead of `kid`. */
  useJwk?: boolean;
  nonce?: string | null;
  url?: string;
  alg?: string;
  extraHeader?: Record<string, unknown>;
  contentType?: string;
}

export class AcmeTestClient {
  readonly agent: https.Agent;
  directory: Record<string, any> = {};
  kid: string | undefined;
  private nonces: string[] = [];

  constructor(
    readonly directoryUrl: string,
    public key: KeyObject,
    caPem: string,
  ) {
    this.agent = new https.Agent({ ca: caPem, keepAlive: true, maxSockets: 64 });
  }

  async raw(
    url: string,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ): Promise<AcmeResponse> {
    const res = await new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
      const req = https.request(
        url,
        { method: init.method ?? 'GET', headers: init.headers ?? {}, agent: this.agent },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => {
            const headers = new Headers();
            for (const [k, v] of Object.entries(r.headers)) {
              if (Array.isArray(v)) for (const x of v) headers.append(k, x);
              else if (v !== undefined) headers.set(k, v);
            }
            resolve({ status: r.statusCode!, headers, text: Buffer.concat(chunks).toString('utf8') });
          });
          r.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
    const { text } = res;
    const nonce = res.headers.get('replay-nonce');
    if (nonce) this.nonces.push(nonce);
    let body: any = text;
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('json') && text !== '') body = JSON.parse(text);
    return { status: res.status, headers: res.headers, body, text };
  }

  async init(): Promise<this> {
    this.directory = (await this.raw(this.directoryUrl)).body;
    return this;
  }

  async nonce(): Promise<string> {
    const n = this.nonces.pop();
    if (n) return n;
    const r = await this.raw(this.directory.newNonce, { method: 'HEAD' });
    return r.headers.get('replay-nonce')!;
  }

  async thumbprint(): Promise<string> {
    return calculateJwkThumbprint(await publicJwk(this.key), 'sha256');
  }

  async keyAuthorization(token: string): Promise<string> {
    return `${token}.${await this.thumbprint()}`;
  }

  async dns01Value(token: string): Promise<string> {
    return createHash('sha256')
      .update(await this.keyAuthorization(token))
      .digest('base64url');
  }

  /** A flattened JWS over `payload` ('' = POST-as-GET). */
  async sign(url: string, payload: unknown, o: SignOptions = {}): Promise<string> {
    const nonce = o.nonce === undefined ? await this.nonce() : o.nonce;
    const alg = o.alg ?? algOf(this.key);
    const header: Record<string, unknown> = { alg, url: o.url ?? url, ...(nonce === null ? {} : { nonce }) };
    if (o.useJwk || !this.kid) header.jwk = await publicJwk(this.key);
    else header.kid = this.kid;
    Object.assign(header, o.extraHeader ?? {});
    const bytes = new TextEncoder().encode(payload === '' ? '' : JSON.stringify(payload));
    const jws = await new FlattenedSign(bytes).setProtectedHeader(header).sign(this.key);
    return JSON.stringify(jws);
  }

  /** POST with one badNonce retry, as clients do (RFC 8555 §6.5). */
  async post(url: string, payload: unknown, o: SignOptions = {}): Promise<AcmeResponse> {
    for (let attempt = 0; ; attempt++) {
      const body = await this.sign(url, payload, o);
      const r = await this.raw(url, {
        method: 'POST',
        body,
        headers: { 'content-type': o.contentType ?? 'application/jose+json' },
      });
      if (
        r.status === 400 &&
        r.body?.type === 'urn:ietf:params:acme:error:badNonce' &&
        attempt < 5 &&
        o.nonce === undefined
      )
        continue;
      return r;
    }
  }

  /** The EAB JWS of RFC 8555 §7.3.4 (HS256 over the account's public JWK). */
  async eab(
    keyId: string,
    hmacB64url: string,
    o: { url?: string; jwkOf?: KeyObject; nonce?: string } = {},
  ): Promise<unknown> {
    const jwk = await publicJwk(o.jwkOf ?? this.key);
    const header: Record<string, unknown> = { alg: 'HS256', kid: keyId, url: o.url ?? this.directory.newAccount };
    if (o.nonce) header.nonce = o.nonce;
    return new FlattenedSign(new TextEncoder().encode(JSON.stringify(jwk)))
      .setProtectedHeader(header)
      .sign(Buffer.from(hmacB64url, 'base64url'));
  }

  async newAccount(eab: { keyId: string; hmac: string }, extra: Record<string, unknown> = {}): Promise<AcmeResponse> {
    const r = await this.post(
      this.directory.newAccount,
      {
        termsOfServiceAgreed: true,
        contact: ['mailto:ops@example.com'],
        externalAccountBinding: await this.eab(eab.keyId, eab.hmac),
        ...extra,
      },
      { useJwk: true },
    );
    if (r.status === 201 || r.status === 200) this.kid = r.headers.get('location')!;
    return r;
  }

  async newOrder(names: string[], extra: Record<string, unknown> = {}): Promise<AcmeResponse> {
    return this.post(this.directory.newOrder, {
      identifiers: names.map((value) => ({ type: 'dns', value })),
      ...extra,
    });
  }

  async poll(url: string, until: (body: any) => boolean, timeoutMs = 20_000): Promise<AcmeResponse> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.post(url, '');
      if (until(r.body)) return r;
      if (Date.now() > end) throw new Error(`${url} stayed ${JSON.stringify(r.body).slice(0, 300)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** The inner JWS of keyChange (RFC 8555 §7.3.5), signed by `newKey`. */
  async keyChangeInner(newKey: KeyObject): Promise<unknown> {
    const payload = { account: this.kid, oldKey: await publicJwk(this.key) };
    return new FlattenedSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({
        alg: algOf(newKey),
        jwk: (await publicJwk(newKey)),
        url: this.directory.keyChange,
      })
      .sign(newKey);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A compact JWS helper kept for the alg:none case (jose refuses to make one). */
export function unsignedJws(header: Record<string, unknown>, payload: unknown): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return JSON.stringify({ protected: b64(header), payload: payload === '' ? '' : b64(payload), signature: '' });
}

export { CompactSign };
