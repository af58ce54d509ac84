// Issue 5, "Exactly once": three `certdesk serve` processes on one PostgreSQL store, and a
// chaos loop that SIGKILLs and restarts them at random while clients submit orders, prove
// their domains and replay signed requests. Afterwards every order has exactly one
// certificate, the quota counts are exact, no nonce was accepted twice and nothing is lost.
// PostgreSQL only: SQLite is one process's store (several processes are the PostgreSQL case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startChallengeServer, type ChallengeServer } from './challenge-server.js';
import { freePort, freshStoreArgs, TEST_DATABASE_URL } from './support/harness.js';
import { dropTestSchema } from './support/pg.js';
import { spawnServe, type ServeProcess } from './support/process.js';
import { runCliJson } from './support/cli.js';
import { Cas, casClient, withHeaders, type CasClient } from './support/sdk.js';
import { challengeServeFlags, freshDomain } from './support/orders.js';

const PLAN = 24; // orders the plan allows
const EXTRA = PLAN / 2; // submissions beyond the plan, all to be refused
const CHAOS_MS = 45_000;
const SETTLE_MS = 60_000;
const NONCE_ROUNDS = 8;
const PROCESSES = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

interface SdkFailure {
  code?: string;
  statusCode?: number;
  message?: string;
}

/**
 * A failure a user would simply retry: the connection died or was refused (the process was
 * killed or is restarting; no CAS answer, so no status), or the per-account rate limit.
 */
function isTransient(e: unknown): boolean {
  const f = e as SdkFailure;
  if (typeof f.statusCode !== 'number') return true;
  return typeof f.code === 'string' && f.code.startsWith('Throttling');
}

function describeFailure(e: unknown): string {
  const f = e as SdkFailure;
  return `${f.statusCode ?? '-'} ${f.code ?? '-'} ${f.message ?? String(e)}`.slice(0, 300);
}

test(
  'chaos: three processes killed and restarted at random; exactly one certificate per order, exact quota, no nonce twice',
  {
    skip: TEST_DATABASE_URL ? false : 'needs PostgreSQL',
    timeout: 170_000,
  },
  async (t) => {
    const cs: ChallengeServer = await startChallengeServer();
    const dataDir = mkdtempSync(join(tmpdir(), 'certdesk-chaos-'));
    const store = freshStoreArgs(dataDir);
    const ports: number[] = [];
    for (let i = 0; i < PROCESSES; i++) ports.push(await freePort());
    const procs: Array<ServeProcess | undefined> = new Array(PROCESSES).fill(undefined);
    const restarting = new Set<number>();
    const kills: number[] = new Array(PROCESSES).fill(0);
    let chaosOn = false;
    let observing = false;
    const restartFailures: string[] = [];

    async function start(i: number): Promise<void> {
      // A port just released by a killed process can be taken by anything meanwhile: retry a few times.
      for (let attempt = 1; ; attempt++) {
        try {
          procs[i] = await spawnServe(
            [
              ...store.args,
              '--listen',
              `127.0.0.1:${ports[i]}`,
              '--admin-listen',
              '127.0.0.1:0',
              ...challengeServeFlags(cs),
              '--log-level',
              'error',
            ],
            store.env,
          );
          return;
        } catch (e) {
          if (attempt >= 3) throw e;
          await sleep(200);
        }
      }
    }
    const isUp = (i: number) =>
      procs[i] !== undefined &&
      !restarting.has(i) &&
      procs[i].child.exitCode === null &&
      procs[i].child.signalCode === null;

    try {
      const key = await runCliJson(['admin', 'account', 'create', '--name', 'Chaos', ...store.args], store.env);
      await runCliJson(
        [
          'admin',
          'plan',
          'grant',
          '--account',
          String(key.AccountId),
          '--product',
          'digicert-free-1-free',
          '--count',
          String(PLAN),
          ...store.args,
        ],
        store.env,
      );
      await runCliJson(
        [
          'admin',
          'contact',
          'add',
          '--account',
          String(key.AccountId),
          '--name',
          'C',
          '--email',
          'c@example.com',
          '--mobile',
          '13900005555',
          ...store.args,
        ],
        store.env,
      );
      const clients: CasClient[] = ports.map((p) => casClient(`127.0.0.1:${p}`, key));

      // The first process creates the CA hierarchy alone; the other two then find it.
      await start(0);
      await Promise.all([start(1), start(2)]);

      let rr = 0;
      /** Runs `op` on some process, retrying what a user would retry, until `timeoutMs`. */
      async function onAny<T>(op: (c: CasClient) => Promise<T>, timeoutMs = 20_000): Promise<T> {
        const until = Date.now() + timeoutMs;
        for (;;) {
          const c = clients[rr++ % PROCESSES]!;
          try {
            return await op(c);
          } catch (e) {
            if (!isTransient(e) || Date.now() > until) throw e;
            await sleep(100);
          }
        }
      }

      async function killAndRestart(i: number): Promise<void> {
        // Keep one process answering, so the clients make progress between the kills.
        if (!chaosOn || !isUp(i) || [0, 1, 2].filter(isUp).length < 2) return;
        restarting.add(i);
        await procs[i]!.kill();
        kills[i]! += 1;
        void start(i)
          .catch((e) => restartFailures.push(String(e).slice(0, 500)))
          .finally(() => restarting.delete(i));
      }

      // ---- the chaos loop: every 1-3 s a random process is SIGKILLed and started again.
      chaosOn = true;
      const chaosStarted = Date.now();
      const chaos = (async () => {
        while (chaosOn) {
          await sleep(between(1000, 3000));
          if (!chaosOn) break;
          await killAndRestart(between(0, PROCESSES));
        }
      })();

      // ---- clients: submit until the plan is spent, retrying submissions whose connection died.
      const answered = new Set<number>(); // order ids the server answered with
      const unexpected: string[] = [];
      let transientSubmissions = 0;
      let exhausted = false;
      async function submitter(): Promise<void> {
        while (!exhausted) {
          // Spread the submissions over most of the chaos, so that kills land on them.
          await sleep(between(600, 1800));
          const i = rr++ % PROCESSES;
          const c = clients[i]!;
          // Now and then the kill aims at this very submission, 5-120 ms in (a submission takes
          // 20-150 ms here): sometimes before its transaction commits, sometimes after it but
          // before the answer is sent (the order exists, the client never learns its id).
          if (Math.random() < 0.35) setTimeout(() => void killAndRestart(i), between(5, 120));
          try {
            const r = await c.createCertificateForPackageRequest(
              new Cas.CreateCertificateForPackageRequestRequest({ domain: freshDomain('chaos'), validateType: 'DNS' }),
            );
            answered.add(r.body!.orderId!);
          } catch (e) {
            if ((e as SdkFailure).code === 'DeductQuotaFailed') exhausted = true;
            else if (isTransient(e))
              transientSubmissions += 1; // committed or not: the listing tells
            else unexpected.push(`submit: ${describeFailure(e)}`);
          }
        }
      }
      const submitters = Promise.all([submitter(), submitter(), submitter()]);

      // ---- the customer's side of validation: list the orders (not the answers: an answer may
      // be lost while its order was written) and publish each one's TXT record.
      const published = new Set<number>();
      observing = true;
      const observer = (async () => {
        while (observing) {
          await sleep(400); // ListUserCertificateOrder allows 10 QPS per account (Alibaba Cloud CAS API reference (2020-04-07), API overview)
          try {
            const c = clients[rr++ % PROCESSES]!;
            const list = await c.listUserCertificateOrder(
              new Cas.ListUserCertificateOrderRequest({ orderType: 'CPACK', showSize: 1000 }),
            );
            for (const o of list.body!.certificateOrderList ?? []) {
              if (published.has(o.orderId!) || o.status !== 'CHECKING') continue;
              const s = (
                await c.describeCertificateState(new Cas.DescribeCertificateStateRequest({ orderId: o.orderId! }))
              ).body!;
              if (s.type !== 'domain_verify') continue;
              cs.setTxt(`${s.recordDomain}.${s.domain}`, [s.recordValue!]);
              published.add(o.orderId!);
            }
          } catch (e) {
            if (!isTransient(e)) unexpected.push(`observe: ${describeFailure(e)}`);
          }
        }
      })();

      // ---- nonces: one signed request with a fixed nonce to all three processes at once.
      const nonceRounds: Array<{ nonce: string; ok: number; reused: number; connection: number; other: string[] }> = [];
      const nonces = (async () => {
        for (let round = 0; round < NONCE_ROUNDS; round++) {
          await sleep(between(1500, 4000));
          // Fire when at least two processes listen (the chaos often leaves one): a round with a
          // single live process cannot show that another one refuses the replay.
          for (let waited = 0; waited < 100 && [0, 1, 2].filter(isUp).length < 2; waited++) await sleep(100);
          const nonce = randomBytes(16).toString('hex');
          const results = await Promise.allSettled(
            clients.map((c) =>
              c.describePackageStateWithOptions(
                new Cas.DescribePackageStateRequest({}),
                withHeaders({ 'x-acs-signature-nonce': nonce }),
              ),
            ),
          );
          const r = { nonce, ok: 0, reused: 0, connection: 0, other: [] as string[] };
          for (const x of results) {
            if (x.status === 'fulfilled') r.ok += 1;
            else if ((x.reason as SdkFailure).code === 'SignatureNonceUsed') r.reused += 1;
            else if (typeof (x.reason as SdkFailure).statusCode !== 'number') r.connection += 1;
            else r.other.push(describeFailure(x.reason));
          }
          nonceRounds.push(r);
        }
      })();

      await submitters;
      // Beyond the plan: each one refused (DeductQuotaFailed) or lost with its connection, never accepted.
      let extraRefused = 0;
      let extraAccepted = 0;
      for (let k = 0; k < EXTRA; k++) {
        await sleep(between(100, 600));
        const c = clients[rr++ % PROCESSES]!;
        try {
          const r = await c.createCertificateForPackageRequest(
            new Cas.CreateCertificateForPackageRequestRequest({ domain: freshDomain('over'), validateType: 'DNS' }),
          );
          extraAccepted += 1;
          answered.add(r.body!.orderId!);
        } catch (e) {
          if ((e as SdkFailure).code === 'DeductQuotaFailed') extraRefused += 1;
          else if (!isTransient(e)) unexpected.push(`extra: ${describeFailure(e)}`);
        }
      }
      await nonces;

      // Let the chaos run its course (bounded), then stop it and bring every process back.
      const left = CHAOS_MS - (Date.now() - chaosStarted);
      if (left > 0) await sleep(left);
      chaosOn = false;
      await chaos;
      while (restarting.size > 0) await sleep(100);
      for (let i = 0; i < PROCESSES; i++) if (!isUp(i)) await start(i);
      assert.deepEqual(restartFailures, [], 'every killed process started again');
      assert.ok(
        kills.reduce((a, b) => a + b, 0) >= 5,
        `the chaos loop killed processes (kills per process: ${kills.join(',')})`,
      );

      // ---- settle: every listed order reaches `certificate` (retries with backoff, expired leases).
      const settleUntil = Date.now() + SETTLE_MS;
      let orders: Array<{ orderId: number; status: string; certificateId?: number }> = [];
      for (;;) {
        const list = await onAny((c) =>
          c.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ orderType: 'CPACK', showSize: 1000 })),
        );
        orders = (list.body!.certificateOrderList ?? []).map((o) => ({
          orderId: o.orderId!,
          status: o.status!,
          certificateId: o.certificateId,
        }));
        if (orders.length > 0 && orders.every((o) => o.status === 'ISSUED' || o.status === 'WILLEXPIRED')) break;
        if (Date.now() > settleUntil) {
          assert.fail(
            `orders not issued after the chaos: ${JSON.stringify(orders.filter((o) => o.status !== 'ISSUED' && o.status !== 'WILLEXPIRED'))}`,
          );
        }
        await sleep(500);
      }
      observing = false;
      await observer;

      assert.deepEqual(
        unexpected,
        [],
        'no answer other than success, DeductQuotaFailed, a dead connection or throttling',
      );
      // Quota: the plan was spent exactly, never overspent, and the counts match what exists.
      assert.equal(extraAccepted, 0, 'no submission beyond the plan was accepted');
      assert.ok(extraRefused >= 1, 'submissions beyond the plan were refused with DeductQuotaFailed');
      const orderIds = orders.map((o) => o.orderId);
      assert.equal(new Set(orderIds).size, orderIds.length, 'the listing names each order once');
      assert.equal(
        orders.length,
        PLAN,
        `live orders = the plan (answered ${answered.size}, retried submissions ${transientSubmissions})`,
      );
      for (const id of answered)
        assert.ok(orderIds.includes(id), `order ${id}, answered to a client, still exists (nothing lost)`);
      const state = (await onAny((c) => c.describePackageState(new Cas.DescribePackageStateRequest({})))).body!;
      assert.equal(state.totalCount, PLAN);
      assert.equal(state.usedCount, orders.length, 'UsedCount = live orders');

      // Exactly one certificate per order, and no certificate without an order.
      const certs = await onAny((c) =>
        c.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ orderType: 'CERT', showSize: 1000 })),
      );
      const certIds = (certs.body!.certificateOrderList ?? []).map((c) => c.certificateId!);
      const perOrder = new Map<number, number[]>();
      for (const certId of certIds) {
        const d = (
          await onAny((c) =>
            c.getUserCertificateDetail(new Cas.GetUserCertificateDetailRequest({ certId, certFilter: true })),
          )
        ).body!;
        assert.ok(
          d.orderId !== undefined && orderIds.includes(d.orderId),
          `certificate ${certId} belongs to a listed order (it names ${d.orderId})`,
        );
        perOrder.set(d.orderId, [...(perOrder.get(d.orderId) ?? []), certId]);
      }
      for (const o of orders) {
        assert.deepEqual(perOrder.get(o.orderId), [o.certificateId], `order ${o.orderId} has exactly one certificate`);
      }
      assert.equal(state.issuedCount, certIds.length, 'IssuedCount = issued certificates');
      assert.equal(certIds.length, PLAN);

      t.diagnostic(
        `kills per process ${kills.join(',')}; orders ${orders.length}, answered ${answered.size} (answers lost: ${orders.length - answered.size}), dead-connection submissions ${transientSubmissions}; extra refused ${extraRefused}/${EXTRA}; nonce rounds ok/reused/dead ${nonceRounds.map((r) => `${r.ok}/${r.reused}/${r.connection}`).join(' ')}`,
      );

      // Nonces: for each, at most one of the three processes accepted it.
      assert.equal(nonceRounds.length, NONCE_ROUNDS);
      for (const r of nonceRounds) {
        assert.deepEqual(r.other, [], `nonce ${r.nonce}: only success, SignatureNonceUsed or a dead connection`);
        assert.ok(r.ok <= 1, `nonce ${r.nonce} accepted ${r.ok} times`);
      }
      assert.ok(
        nonceRounds.some((r) => r.reused >= 1),
        'a replayed nonce was refused by another process (the check is shared)',
      );

      // The store itself: no order job left behind, no intent left unsigned, one row per order.
      const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await db.connect();
      try {
        const schema = store.env.CERTDESK_PG_SCHEMA!;
        const jobs = await db.query(
          `select kind, ref_id, attempts, last_error from "${schema}".jobs where kind in ('validate', 'issue')`,
        );
        assert.deepEqual(jobs.rows, [], 'no validation or issuance job is left');
        const certRows = await db.query(
          `select order_id, state from "${schema}".certificates where order_id is not null`,
        );
        assert.equal(certRows.rows.length, PLAN);
        assert.ok(
          certRows.rows.every((r: { state: string }) => r.state === 'issued'),
          'no intent left unsigned',
        );
        assert.equal(
          new Set(certRows.rows.map((r: { order_id: number }) => r.order_id)).size,
          PLAN,
          'one certificate row per order',
        );
      } finally {
        await db.end();
      }
    } finally {
      chaosOn = false;
      observing = false;
      for (const until = Date.now() + 35_000; restarting.size > 0 && Date.now() < until;) await sleep(100);
      await Promise.all(procs.map((p) => p?.kill() ?? Promise.resolve()));
      await cs.close();
      await dropTestSchema(TEST_DATABASE_URL, store.env.CERTDESK_PG_SCHEMA);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
