// `npm run bench` row group: time and peak memory to build and sign a CRL of 1,000,000
// revoked entries, the way publication does it (src/ca/crl.ts: entries streamed
// into DER chunks, then one signed buffer). Entries come from a generator, as pages from
// the store would, with 16-octet serials like certdesk's and a mix of reason codes.
// Memory is sampled every 16,384 entries and after signing; the baseline is taken just
// before, so the figures above it are what the CRL costs.

import { createHierarchy, loadIssuer } from '../src/ca/hierarchy.js';
import { buildCrl, type RevokedEntry } from '../src/ca/crl.js';
import { randomBytes } from 'node:crypto';

const MB = 1024 * 1024;
const DAY = 86_400_000;

interface Peak {
  rss: number;
  heapUsed: number;
  external: number;
}

function sample(peak: Peak): void {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.external = Math.max(peak.external, m.external);
}

function* entries(count: number, now: number, peak: Peak): Generator<RevokedEntry> {
  const prefix = randomBytes(12).toString('hex').toUpperCase().replace(/^./, '5');
  const reasons = [null, 1, 3, 4, 5, 9];
  for (let i = 0; i < count; i++) {
    if ((i & 16383) === 0) sample(peak);
    // 16 octets: 12 random, then a counter, so every serial is distinct.
    yield {
      serialHex: prefix + i.toString(16).toUpperCase().padStart(8, '0'),
      revokedAt: now - i * 7919,
      reason: reasons[i % reasons.length]!,
    };
  }
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

export async function runCrlBench(opts: { quick: boolean }): Promise<Array<{ label: string; value: string }>> {
  const count = opts.quick ? 100_000 : 1_000_000;
  const now = Date.now();
  const { issuing } = await createHierarchy({
    algorithm: 'ecdsa-p256',
    now: now - DAY,
    random: { bytes: (n) => randomBytes(n) },
  });
  const issuer = loadIssuer(issuing.certDer, issuing.privateKeyPkcs8Der);

  const base = process.memoryUsage();
  const peak: Peak = { rss: base.rss, heapUsed: base.heapUsed, external: base.external };
  const started = process.hrtime.bigint();
  const der = await buildCrl(
    { issuer, thisUpdate: now, nextUpdate: now + 7 * DAY, crlNumber: 1 },
    entries(count, now, peak),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  sample(peak);

  const n = count.toLocaleString('en-US');
  return [
    {
      label: `CRL of ${n} entries: build + sign`,
      value: `${seconds.toFixed(2)} s (${Math.round(count / seconds).toLocaleString('en-US')} entries/s)`,
    },
    { label: `CRL of ${n} entries: size`, value: mb(der.length) },
    {
      label: `CRL of ${n} entries: peak RSS`,
      value: `${mb(peak.rss)} (+${mb(peak.rss - base.rss)} over the ${mb(base.rss)} before)`,
    },
    {
      label: `CRL of ${n} entries: peak heapUsed`,
      value: `${mb(peak.heapUsed)} (+${mb(peak.heapUsed - base.heapUsed)})`,
    },
    {
      label: `CRL of ${n} entries: peak external (Buffers)`,
      value: `${mb(peak.external)} (+${mb(peak.external - base.external)})`,
    },
    { label: 'process max RSS so far (getrusage)', value: mb(process.resourceUsage().maxRSS * 1024) },
  ];
}
