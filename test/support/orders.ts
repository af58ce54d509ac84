// Shared steps of the order end-to-end tests: certdesk wired to the loopback challenge
// server, and the customer's side of domain validation (publishing what
// DescribeCertificateState asks for).
import { startChallengeServer, type ChallengeServer } from '../challenge-server.js';
import { startCertdesk, type Certdesk } from './harness.js';
import { Cas, type CasClient } from './sdk.js';

export const CAA_IDENTITY = 'certdesk.test';

/**
 * `certdesk serve` flags that point a spawned process at the challenge server, with fast
 * retries and a two-second job lease (a killed process's jobs are taken over that soon).
 */
export function challengeServeFlags(cs: ChallengeServer): string[] {
  return [
    '--dns-resolver',
    cs.dnsAddress,
    '--http-validation-port',
    String(cs.httpPort),
    '--allow-private-validation-targets',
    '--caa-identity',
    CAA_IDENTITY,
    '--validation-retry-ms',
    '200',
    '--job-lease-seconds',
    '2',
  ];
}

export async function startWithChallenges(
  extra: Record<string, string | boolean> = {},
  opts: Parameters<typeof startCertdesk>[1] = {},
): Promise<{ cd: Certdesk; cs: ChallengeServer }> {
  const cs = await startChallengeServer();
  const cd = await startCertdesk(
    {
      'dns-resolver': cs.dnsAddress,
      'http-validation-port': String(cs.httpPort),
      'allow-private-validation-targets': true,
      'caa-identity': CAA_IDENTITY,
      ...extra,
    },
    opts,
  );
  return { cd, cs };
}

let counter = 0;
/** A fresh registrable name under a real public suffix (the name rules refuse internal names). */
export function freshDomain(label = 'site'): string {
  counter += 1;
  return `${label}-${process.pid}-${counter}-${Date.now().toString(36)}.com`;
}

export async function describe(client: CasClient, orderId: number) {
  const r = await client.describeCertificateState(new Cas.DescribeCertificateStateRequest({ orderId }));
  return r.body!;
}

/**
 * Publishes what the order asks for, name after name as DescribeCertificateState shows the
 * next one still to prove: the TXT record (DNS) or the file (FILE). Returns once the order
 * has left domain_verify.
 */
export async function publishChallenges(
  cs: ChallengeServer,
  client: CasClient,
  orderId: number,
  timeoutMs = 20_000,
): Promise<void> {
  const published = new Set<string>();
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await describe(client, orderId);
    if (s.type !== 'domain_verify') return;
    const key = `${s.domain}|${s.recordValue ?? s.content}`;
    if (!published.has(key)) {
      published.add(key);
      if (s.validateType === 'DNS') {
        cs.setTxt(`${s.recordDomain}.${s.domain}`, [s.recordValue!]);
      } else {
        cs.setA(s.domain!, ['127.0.0.1']);
        cs.setHttp(s.domain!, s.uri!, { body: s.content! });
      }
    }
    if (Date.now() > until) throw new Error(`order ${orderId} is still waiting for domain validation`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitForType(client: CasClient, orderId: number, types: string[], timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await describe(client, orderId);
    if (types.includes(s.type!)) return s;
    if (Date.now() > until) throw new Error(`order ${orderId} stayed ${s.type} (wanted ${types.join('|')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
