// Validation as an amplifier. Before: every DescribeCertificateState on an order waiting for
// domain validation started an attempt at once, so 7,000 calls in 10 s made certdesk send
// about 1,065 HTTP GETs and 2,100 DNS queries to the order's names, which a customer can point
// at a third party. Now the attempts those calls trigger are bounded per order (calls while an
// asked-for attempt is still to come are free and trigger nothing; then a schedule: the first
// read asks for nothing, the next at once, then 50 ms, doubling up to
// --validation-nudge-interval-ms) and per account (a bucket of
// --validation-nudges-per-minute beyond each order's first few); the other calls are
// answered from the last attempt's result. Counted at the loopback challenge server's DNS
// and HTTP sides.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import { freshDomain, startWithChallenges } from './support/orders.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { NUDGE_FIRST_GAP_MS, NUDGE_FREE_PER_ORDER, nudgeBound } from '../src/app/validation-nudges.js';

const INTERVAL_MS = 3000;

/** The most attempts one order's nudges can make in `ms` of calls (the schedule's points, and one deferred). */
function scheduleBound(ms: number): number {
  return nudgeBound({ firstGapMs: NUDGE_FIRST_GAP_MS, orderIntervalMs: INTERVAL_MS }, ms);
}

async function newCustomer(cd: Certdesk, name: string): Promise<CasClient> {
  const key = await createAccount(cd.ctx.accounts, name);
  await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 20 });
  return casClient(cd.endpoint, key);
}

async function submit(client: CasClient, domain: string, validateType: 'DNS' | 'FILE'): Promise<number> {
  const r = await client.createCertificateForPackageRequest(
    new Cas.CreateCertificateForPackageRequestRequest({
      productCode: 'digicert-free-1-free',
      domain,
      validateType,
      username: 'Ann',
      phone: '13900002222',
      email: 'ann@example.com',
    }),
  );
  return r.body!.orderId!;
}

/** Resolves once `ready()` holds (within 60 s) and `count()` then stops growing for `quietMs`. */
async function settled(count: () => number, quietMs = 600, ready: () => boolean = () => true): Promise<number> {
  // On a busy machine the first attempt may start late: wait for it before waiting for quiet.
  for (let waited = 0; !ready() && waited < 60_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  let last = count();
  for (;;) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = count();
    if (now === last) return now;
    last = now;
  }
}

async function flood(client: CasClient, orderId: number, calls: number): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < calls; i += 50) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(50, calls - i) }, () =>
        client.describeCertificateState(new Cas.DescribeCertificateStateRequest({ orderId })),
      ),
    );
    for (const a of answers) assert.equal(a.body?.type, 'domain_verify', 'answered from the last result');
  }
  return Date.now() - started;
}

describe('DescribeCertificateState floods trigger a bounded number of validation attempts', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;

  before(async () => {
    // A long backoff: the only attempts after the first are the ones DescribeCertificateState triggers.
    ({ cd, cs } = await startWithChallenges({
      'validation-retry-ms': '600000',
      'validation-nudge-interval-ms': String(INTERVAL_MS),
      'validation-nudges-per-minute': '1000',
    }));
  });
  after(async () => {
    await cd?.close();
    await cs?.close();
  });

  test('500 calls on a DNS order and on a FILE order: a few DNS queries and HTTP GETs, not hundreds', async () => {
    const client = await newCustomer(cd, 'Flooder');
    const dnsName = freshDomain('flood-dns');
    const fileName = freshDomain('flood-file');
    cs.setA(fileName, ['127.0.0.1']); // the file itself is never published: every GET is a 404
    const dnsOrder = await submit(client, dnsName, 'DNS');
    const fileOrder = await submit(client, fileName, 'FILE');
    const dnsQueries = () => cs.dnsQueries().filter((q) => q.name.endsWith(dnsName)).length;
    const gets = () => cs.httpRequests().filter((r) => r.host === fileName).length;
    // The first attempt of each: the second DescribeCertificateState asks for it (the first shows
    // the record and asks for nothing, docs/decisions/0030; submission schedules none sooner
    // than --validation-retry-ms).
    for (const id of [dnsOrder, fileOrder]) {
      await client.describeCertificateState(new Cas.DescribeCertificateStateRequest({ orderId: id }));
      await client.describeCertificateState(new Cas.DescribeCertificateStateRequest({ orderId: id }));
    }
    const dnsBefore = await settled(dnsQueries, 600, () => dnsQueries() > 0);
    const getsBefore = await settled(gets, 600, () => gets() > 0);
    assert.ok(
      dnsBefore > 0 && getsBefore > 0,
      `the describe attempted both (${dnsBefore} queries, ${getsBefore} GETs)`,
    );
    // One attempt's queries.
    const perDnsAttempt = dnsBefore;

    const [dnsMs, fileMs] = await Promise.all([flood(client, dnsOrder, 500), flood(client, fileOrder, 500)]);
    const dnsAfter = (await settled(dnsQueries, INTERVAL_MS + 500)) - dnsBefore;
    const getsAfter = (await settled(gets, INTERVAL_MS + 500)) - getsBefore;
    // The schedule's handful, then at most one per interval (the last one deferred to its end).
    const attempts = scheduleBound;
    assert.ok(
      dnsAfter <= attempts(dnsMs) * perDnsAttempt,
      `${dnsAfter} DNS queries for 500 calls in ${dnsMs} ms (at most ${attempts(dnsMs)} attempts of ${perDnsAttempt})`,
    );
    assert.ok(dnsAfter >= 1, 'the flood did trigger an attempt');
    assert.ok(getsAfter <= attempts(fileMs), `${getsAfter} HTTP GETs for 500 calls in ${fileMs} ms`);
    assert.ok(getsAfter >= 1, 'the flood did trigger an attempt');
  });

  test('per account: many orders flooded at once stay within the account limit', async () => {
    const { cd: cd2, cs: cs2 } = await startWithChallenges({
      'validation-retry-ms': '600000',
      'validation-nudge-interval-ms': String(INTERVAL_MS),
      'validation-nudges-per-minute': '11',
    });
    try {
      const client = await newCustomer(cd2, 'Many orders');
      const names = Array.from({ length: 8 }, () => freshDomain('flood-acct'));
      const orders: number[] = [];
      for (const n of names) orders.push(await submit(client, n, 'DNS'));
      for (const id of orders) {
        await client.describeCertificateState(new Cas.DescribeCertificateStateRequest({ orderId: id }));
        await client.describeCertificateState(new Cas.DescribeCertificateStateRequest({ orderId: id }));
      }
      const count = () => cs2.dnsQueries().filter((q) => names.some((n) => q.name.endsWith(n))).length;
      const before = await settled(count, 600, () =>
        names.every((n) => cs2.dnsQueries().some((q) => q.name.endsWith(n))),
      );
      for (const n of names)
        assert.ok(
          cs2.dnsQueries().some((q) => q.name.endsWith(n)),
          `the first attempt of ${n} ran`,
        );
      const perAttempt = before / 8;
      const floodStart = Date.now();
      await Promise.all(orders.map((id) => flood(client, id, 50)));
      const triggered = ((await settled(count, INTERVAL_MS + 500)) - before) / perAttempt;
      // Each order's free nudges after its first two describes (the first read's point asks for
      // nothing), then the account's bucket of 11 for all eight, and what it refilled (11 a
      // minute) while the flood and the settling lasted.
      const bound = 8 * (NUDGE_FREE_PER_ORDER - 2) + 11 + Math.ceil((11 * (Date.now() - floodStart)) / 60_000);
      assert.ok(triggered <= bound, `${triggered} attempts triggered for 8 orders (at most ${bound})`);
      assert.ok(triggered >= 8, 'the flood triggered attempts of every order');
    } finally {
      await cd2.close();
      await cs2.close();
    }
  });
});
