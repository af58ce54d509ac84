// The official SDK as the client of end-to-end tests ("The official SDK is the
// client"), configured only with an endpoint, as a user would.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const Cas = require('@alicloud/cas20200407') as typeof import('@alicloud/cas20200407');
const { $OpenApiUtil } = require('@alicloud/openapi-core') as typeof import('@alicloud/openapi-core');
export const $dara = require('@darabonba/typescript') as typeof import('@darabonba/typescript');

export type SigningMode = 'ACS3-HMAC-SHA256' | 'ACS3-HMAC-SM3' | 'v2';
export const SIGNING_MODES: readonly SigningMode[] = ['ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3', 'v2'];

export type CasClient = InstanceType<(typeof Cas)['default']>;

export function casClient(
  endpoint: string,
  key: { AccessKeyId: string; AccessKeySecret: string },
  mode: SigningMode = 'ACS3-HMAC-SHA256',
  /** HTTPS with this CA (PEM) trusted, as a user of a certdesk serving TLS configures the SDK. */
  tls?: { ca: string },
): CasClient {
  const Client = Cas.default;
  return new Client(
    new $OpenApiUtil.Config({
      accessKeyId: key.AccessKeyId,
      accessKeySecret: key.AccessKeySecret,
      endpoint,
      protocol: tls ? 'https' : 'http',
      ...(tls ? { ca: tls.ca } : {}),
      regionId: 'cn-hangzhou',
      // The SDK waits 5 s to connect and 3 s to read by default; a test machine shared with other builds can
      // take longer than that under 100+ requests in flight, which is load, not a failure.
      readTimeout: 20_000,
      connectTimeout: 20_000,
      // 'v2' selects the legacy RPC HMAC-SHA1 query signature (Alibaba Cloud API reference, RPC signature v1 request syntax).
      ...(mode === 'ACS3-HMAC-SHA256' ? {} : { signatureAlgorithm: mode }),
    }),
  );
}

/** Runtime options that override signed headers (the SDK merges them after its own). */
export function withHeaders(headers: Record<string, string>) {
  return new $dara.RuntimeOptions({ extendsParameters: new $dara.ExtendsParameters({ headers }) });
}

/** Runtime options that override query parameters (legacy v1 signs its common parameters there). */
export function withQueries(queries: Record<string, string>) {
  return new $dara.RuntimeOptions({ extendsParameters: new $dara.ExtendsParameters({ queries }) });
}

/** Runs `fn`, expecting the SDK to throw; returns the thrown error for assertions. */
export async function sdkError(fn: () => Promise<unknown>): Promise<{
  name: string;
  code: string;
  statusCode: number;
  message: string;
  requestId?: string;
  accessDeniedDetail?: any;
  retryAfter?: number;
  data?: any;
}> {
  try {
    await fn();
  } catch (e) {
    return e as any;
  }
  throw new Error('expected the SDK call to throw');
}
