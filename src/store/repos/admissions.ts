// The store's part in admitting an API request (api/cas/gateway.ts): its nonce must be new
// and, unless the rate limiter already refused it from memory, it counts against its
// account's limit. Both writes of a batch of requests go to PostgreSQL as one statement, so
// one round trip and one commit answer both questions for the whole batch.
//
// Durability: the batch of a request that changes something (a writing action) commits
// synchronously, so even a crash of the database server cannot forget its nonce and let a
// captured copy of it run a second time. The batch of reading requests commits without
// waiting for the WAL flush (PreparedQuery.relaxed): only a crash of the database server
// itself, not of certdesk, can forget the last ~0.6 s of their nonces, and the most such a
// replay can do is read again what the original request read, within its 15-minute
// timestamp window (Alibaba Cloud API reference, V3 request signature (ACS3-HMAC-SHA256)); the rate counters lose nothing that matters. Waiting for
// that flush held up every DescribeCertificateState (the scale bench: 25-30% more requests/s
// without it); nonce caches are commonly kept so (in memory or in a cache server).
import { createBatcher } from '../batcher.js';
import type { PreparedQuery } from '../postgres/open-postgres.js';
import { nonceInsertPg, planNonces, type NonceUse } from './nonces.js';
import { hitUpsertPg, planHits, type CounterRow, type RateHit } from './rate-counters.js';

// Data-modifying CTEs run exactly once, to completion, in the statement's one snapshot and
// transaction (PostgreSQL manual, 7.8.4). The nonces are written first, then the counters,
// each in sorted order, so concurrent batches take their row locks in one order.
const ADMIT_PG = `with n as (
  ${nonceInsertPg('select * from unnest($1::text[], $2::text[], $3::bigint[])')}
), r as (
  ${hitUpsertPg('select * from unnest($4::bigint[], $5::bigint[], $6::text[], $7::integer[])')}
)
select access_key_id, nonce, null::bigint as window_start, null::bigint as account_id, null::text as action, null::integer as count from n
union all
select null, null, window_start, account_id, action, count from r`;

export interface Admission {
  nonce: NonceUse;
  /** The request changes something: its nonce must survive a crash of the database server. */
  durable: boolean;
  /** Absent when the request is refused already (its window known to be spent). */
  hit?: RateHit;
}

export interface AdmissionVerdict {
  /** The nonce was not used before. */
  fresh: boolean;
  /** The window's count with this request (its position), when it was counted. */
  count?: number;
}

/** 7 bind parameters, arrays: the batch size is bounded only by memory; kept modest. */
const MAX_BATCH = 256;

export function admissionRepo(
  nonces: { rememberMany(u: NonceUse[]): Promise<boolean[]> },
  counters: { hitMany(h: RateHit[]): Promise<number[]> },
  prepared?: PreparedQuery,
) {
  async function admitMany(items: readonly Admission[], relaxed = false): Promise<AdmissionVerdict[]> {
    const counted = items.flatMap((a, i) => (a.hit ? [i] : []));
    const hits = counted.map((i) => items[i]!.hit!);
    let fresh: boolean[];
    let positions: number[];
    if (prepared) {
      const noncePlan = planNonces(items.map((a) => a.nonce));
      const hitPlan = planHits(hits);
      type Row = { access_key_id: string | null; nonce: string | null } & {
        [K in keyof CounterRow]: CounterRow[K] | null;
      };
      const values = [...noncePlan.arrays(), ...hitPlan.arrays()];
      const rows = await (relaxed
        ? prepared.relaxed<Row>('certdesk_admit', ADMIT_PG, values)
        : prepared<Row>('certdesk_admit', ADMIT_PG, values));
      fresh = noncePlan.verdicts(
        rows.filter((r): r is Row & { access_key_id: string; nonce: string } => r.access_key_id !== null),
      );
      positions = hitPlan.positions(rows.filter((r) => r.access_key_id === null) as CounterRow[]);
    } else {
      // SQLite: one writer at a time and no round trip to save; the two grouped statements.
      [fresh, positions] = await Promise.all([
        nonces.rememberMany(items.map((a) => a.nonce)),
        hits.length > 0 ? counters.hitMany(hits) : Promise.resolve([]),
      ]);
    }
    const verdicts: AdmissionVerdict[] = fresh.map((f) => ({ fresh: f }));
    counted.forEach((i, j) => (verdicts[i]!.count = positions[j]));
    return verdicts;
  }
  const durable = createBatcher((items: Admission[]) => admitMany(items), { maxBatch: MAX_BATCH });
  // One relaxed batch at a time: batches lock the same counter rows (one per busy account and
  // action), so a second one in flight would mostly wait for the first; one bigger batch costs
  // PostgreSQL less (the scale bench: ~15% less of its CPU per request, throughput no lower).
  // The durable batches keep two in flight, so that one's WAL flush overlaps the next one.
  const relaxed = createBatcher((items: Admission[]) => admitMany(items, true), {
    maxBatch: MAX_BATCH,
    maxInFlight: 1,
  });

  return {
    /** Concurrent calls are grouped into one statement per kind of commit (store/batcher.ts). */
    admit(item: Admission): Promise<AdmissionVerdict> {
      return item.durable ? durable(item) : relaxed(item);
    },
    /** One batch, committed synchronously whatever its items say (for tests and tools). */
    admitMany: (items: readonly Admission[]) => admitMany(items),
  };
}
