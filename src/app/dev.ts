// `certdesk dev`: certdesk on loopback with the loopback challenge server (app/challenge-server.ts)
// as its DNS resolver and FILE target, a demo account with a plan, and a small control
// endpoint to publish a TXT record or a file there: a newcomer sees an order issued in a
// minute without a domain of their own. Everything binds to 127.0.0.1; validation may reach
// private addresses here only because every name resolves at the local challenge server.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../config/schema.js';
import { createAccount } from '../accounts/accounts.js';
import { grantPlan } from '../accounts/plans.js';
import type { IssuedAccessKey } from '../accounts/access-keys.js';
import type { Logger } from '../domain/ports.js';
import { openContext } from './context.js';
import { planListeners } from './listeners.js';
import { startChallengeServer, type ChallengeServer } from './challenge-server.js';

export const DEV_PRODUCT = 'digicert-free-1-free';
/** The issuer domain CAA records would have to name; the dev DNS serves no CAA, so any name passes. */
const DEV_CAA_IDENTITY = 'certdesk.dev';

export interface DevSession {
  apiUrl: string;
  adminUrl: string;
  /** The ACME base URL (the directory is <acmeUrl>/acme/directory). */
  acmeUrl: string;
  /** host:port, as the SDK's `endpoint` wants it. */
  endpoint: string;
  /** POST /txt {name, value} and POST /file {host, path, content} publish at the challenge server. */
  controlUrl: string;
  dnsAddress: string;
  dataDir: string;
  key: IssuedAccessKey;
  close(): Promise<void>;
}

const CONTROL_BODY_LIMIT = 64 * 1024;

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > CONTROL_BODY_LIMIT) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        resolve(v as Record<string, unknown>);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    req.on('error', reject);
  });
}

/** The dev control endpoint: what a customer would do at their DNS provider or web server. */
function startControl(cs: ChallengeServer): Promise<{ server: http.Server; url: string }> {
  const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 4096;
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || (req.url !== '/txt' && req.url !== '/file')) {
      answer(404, { error: 'POST /txt {"name","value"} or POST /file {"host","path","content"}' });
      return;
    }
    readJson(req).then(
      (b) => {
        if (req.url === '/txt') {
          if (!str(b.name) || !str(b.value)) return answer(400, { error: 'name and value are required' });
          cs.setTxt(b.name, [b.value]);
          return answer(200, { published: 'TXT', name: b.name });
        }
        if (!str(b.host) || !str(b.path) || typeof b.content !== 'string')
          return answer(400, { error: 'host, path and content are required' });
        cs.setA(b.host, ['127.0.0.1']);
        cs.setHttp(b.host, b.path, { body: b.content });
        return answer(200, { published: 'FILE', url: `http://${b.host}${b.path}` });
      },
      () => answer(400, { error: 'the body must be a JSON object' }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}` });
    });
  });
}

/**
 * Starts the whole dev set-up. `flags` are the command line's configuration flags; the
 * validation ones are set here. Without --data-dir, a fresh temporary directory is used
 * (and removed by close()).
 */
export async function startDev(opts: {
  flags: Record<string, string | boolean | undefined>;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}): Promise<DevSession> {
  const ownDir = opts.flags['data-dir'] === undefined ? mkdtempSync(join(tmpdir(), 'certdesk-dev-')) : undefined;
  const cs = await startChallengeServer();
  let control: { server: http.Server; url: string } | undefined;
  try {
    const config = buildConfig({
      ...opts.flags,
      ...(ownDir ? { 'data-dir': ownDir } : {}),
      'dns-resolver': cs.dnsAddress,
      'http-validation-port': String(cs.httpPort),
      'tls-alpn-validation-port': String(cs.tlsAlpnPort),
      'allow-private-validation-targets': true,
      'caa-identity': DEV_CAA_IDENTITY,
      'validation-retry-ms': opts.flags['validation-retry-ms'] ?? '1000',
    });
    // Loopback only: the same refusal as serve for anything else without TLS.
    planListeners(config);
    control = await startControl(cs);
    const ctx = await openContext({ config, env: opts.env, logger: opts.logger });
    const { startServer } = await import('./serve.js');
    const running = await startServer(ctx);
    const key = await createAccount(ctx.accounts, 'Demo');
    await grantPlan(ctx.accounts, { accountId: key.AccountId, productCode: DEV_PRODUCT, count: 10 });
    const ctl = control;
    return {
      apiUrl: running.apiUrl,
      adminUrl: running.adminUrl,
      acmeUrl: running.acmeListenUrl,
      endpoint: running.apiUrl.replace(/^https?:\/\//, ''),
      controlUrl: ctl.url,
      dnsAddress: cs.dnsAddress,
      dataDir: config.dataDir,
      key,
      async close() {
        await running.close();
        await new Promise<void>((r) => ctl.server.close(() => r()));
        await cs.close();
        if (ownDir) rmSync(ownDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (control) await new Promise<void>((r) => control!.server.close(() => r()));
    await cs.close();
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    throw e;
  }
}

/** The SDK program `certdesk dev` prints: apply, publish the record, poll until issued. */
export function demoProgram(s: Pick<DevSession, 'endpoint' | 'controlUrl' | 'key'>): string {
  return `// demo.mjs: an ES module (.mjs) because it uses import and top-level await.
// Needs: npm install @alicloud/cas20200407 @alicloud/openapi-core
import Cas, * as $Cas from '@alicloud/cas20200407';
import { $OpenApiUtil } from '@alicloud/openapi-core';

const client = new Cas.default(new $OpenApiUtil.Config({
  accessKeyId: '${s.key.AccessKeyId}',
  accessKeySecret: '${s.key.AccessKeySecret}',
  endpoint: '${s.endpoint}',
  protocol: 'http',
}));
const describe = async (orderId) =>
  (await client.describeCertificateState(new $Cas.DescribeCertificateStateRequest({ orderId }))).body;

// 1. Apply for a certificate (no Csr: certdesk makes the key). The contact is given here.
const domain = \`demo-\${Date.now().toString(36)}.com\`;
const { body: { orderId } } = await client.createCertificateForPackageRequest(
  new $Cas.CreateCertificateForPackageRequestRequest({
    productCode: '${DEV_PRODUCT}', domain, validateType: 'DNS',
    username: 'Demo', phone: '13900000000', email: 'demo@example.com',
  }));
console.log(\`order \${orderId} for \${domain}\`);

// 2. Publish the TXT record it asks for. In production: at your DNS provider;
//    here: at certdesk dev's loopback DNS server, through its control endpoint.
let s = await describe(orderId);
const name = \`\${s.recordDomain}.\${s.domain}\`;
await fetch('${s.controlUrl}/txt', {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name, value: s.recordValue }),
});
console.log(\`published TXT \${name} = \${s.recordValue}\`);

// 3. Poll until it is issued (certdesk validates, checks CAA and signs).
while (s.type !== 'certificate') {
  if (s.type === 'verify_fail') throw new Error(\`validation failed: \${s.failReason ?? ''}\`);
  await new Promise((r) => setTimeout(r, 1000));
  s = await describe(orderId);
}
console.log(\`order \${orderId} issued\`);
console.log(s.certificate);
`;
}

export const DEMO_BEGIN = '----- demo.mjs -----';
export const DEMO_END = '----- end of demo.mjs -----';

/** What `certdesk dev` prints once it runs. */
export function devInstructions(s: DevSession): string {
  return [
    `certdesk dev: CAS API on ${s.apiUrl}, operator API on ${s.adminUrl}, data in ${s.dataDir}`,
    `ACME directory ${s.acmeUrl}/acme/directory (EAB: certdesk admin acme eab create --account ${s.key.AccountId} --product ${DEV_PRODUCT} --json --data-dir ${s.dataDir})`,
    `loopback DNS ${s.dnsAddress} answers every validation lookup; publish records at ${s.controlUrl}`,
    '',
    `Demo account ${s.key.AccountId}: AccessKeyId ${s.key.AccessKeyId}, AccessKeySecret ${s.key.AccessKeySecret}`,
    `(plan: 10 x ${DEV_PRODUCT})`,
    '',
    'See an order issued:',
    '  1. in an empty directory: npm init -y && npm install @alicloud/cas20200407 @alicloud/openapi-core',
    '  2. save the program below as demo.mjs (.mjs: it is an ES module with top-level await)',
    '  3. node demo.mjs',
    '',
    DEMO_BEGIN,
    demoProgram(s).trimEnd(),
    DEMO_END,
    '',
    'To publish a record by hand (what step 2 of the program does):',
    `  curl -X POST ${s.controlUrl}/txt -H 'content-type: application/json' -d '{"name":"_dnsauth.<domain>","value":"<RecordValue>"}'`,
    'The audit trail of it all: certdesk admin audit list --data-dir ' + s.dataDir,
    '',
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}
