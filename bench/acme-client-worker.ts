// The client side of `npm run bench -- --acme` in a worker thread (the default; issue 14
// allows it): the JWS client and the loopback DNS/HTTP challenge server get their own event
// loop, so certdesk's does only the server's work, as with a client on another machine.
// Protocol: the worker starts the challenge server and posts its ports; for each server to
// measure the main thread posts `run` and the worker answers `result` (with `level-start` /
// `level-end` round trips around each level, for what the main thread counts); `stop` ends it.
import { parentPort } from 'node:worker_threads';
import { AcmeTestClient, newAccountKey } from '../test/support/acme-client.js';
import { startChallengeServer } from '../test/challenge-server.js';
import { measure, openAccount } from './acme-measure.js';

export type ToClient =
  | {
      type: 'run';
      directoryUrl: string;
      caPem: string;
      /** EAB for certdesk; none for Pebble (plain RFC 8555 §7.3 account). */
      eab?: { keyId: string; hmac: string };
      perLevel: number;
      /** Orders run unmeasured first (acme-measure.ts WARMUP_ORDERS). */
      warmup: number;
    }
  | { type: 'ack'; statements?: number; transactions?: number }
  | { type: 'stop' };

export type FromClient =
  | { type: 'challenge-server'; dnsAddress: string; httpPort: number; tlsAlpnPort: number }
  | { type: 'level-start' }
  | { type: 'level-end' }
  | { type: 'result'; levels: Awaited<ReturnType<typeof measure>> }
  | { type: 'error'; message: string };

const port = parentPort!;
const cs = await startChallengeServer();
let waiting: ((m: ToClient & { type: 'ack' }) => void) | undefined;
const ask = (m: FromClient) =>
  new Promise<ToClient & { type: 'ack' }>((resolve) => {
    waiting = resolve;
    port.postMessage(m);
  });

port.on('message', (m: ToClient) => {
  if (m.type === 'ack') return waiting?.(m);
  if (m.type === 'stop') return void cs.close().then(() => port.close());
  void (async () => {
    const client = await new AcmeTestClient(m.directoryUrl, newAccountKey('ec256'), m.caPem).init();
    try {
      await openAccount(client, m.eab);
      const levels = await measure(
        client,
        cs,
        m.perLevel,
        {
          start: async () => void (await ask({ type: 'level-start' })),
          end: async () => {
            const a = await ask({ type: 'level-end' });
            return { statements: a.statements ?? 0, transactions: a.transactions ?? 0 };
          },
        },
        true,
        m.warmup,
      );
      port.postMessage({ type: 'result', levels } satisfies FromClient);
    } catch (e) {
      port.postMessage({ type: 'error', message: String((e as Error).stack ?? e) } satisfies FromClient);
    } finally {
      client.close();
    }
  })();
});
port.postMessage({
  type: 'challenge-server',
  dnsAddress: cs.dnsAddress,
  httpPort: cs.httpPort,
  tlsAlpnPort: cs.tlsAlpnPort,
} satisfies FromClient);
