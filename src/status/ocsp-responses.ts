// OCSP status of certdesk's certificates (RFC 6960, RFC 5019; BR 4.9.9-4.9.10 v2.2.6).
//
// Every issued certificate gets a response pre-signed by its issuing CA and stored
// (ocsp_responses), valid 4 days (BR §4.9.10: 8 hours to 10 days) and re-signed by a
// periodic job when less than 2 days remain, so what relying parties fetch is stored bytes.
// A revocation re-signs the certificate's response inside the revocation's own transaction
// (the event sink), so the stored response never says good once the revocation commits.
// The lookup does not trust the store blindly either: it reads the certificate's status
// with the response and signs a fresh one when the stored one is missing, stale, or does
// not state the certificate's revocation, so a lagging job never yields a wrong answer.
//
// Serials certdesk never issued (no certificate row in state 'issued') are answered
// unknown, never good (BR 4.9.10 v2.2.6: a responder must not answer good for a serial
// that was not issued), signed on the fly; CertIDs naming another issuer are answered
// unauthorized (RFC 6960 §2.3).
//
// A certificate is answered authoritatively from the moment it is issued (BR 4.9.10
// v2.2.6: within 15 minutes of issuance): its first lookup signs and stores the response if the refresh job,
// which issuance schedules within a minute, has not pre-signed it yet.
//
// Serving is fast: answers are kept in a small in-process LRU for a minute, which bounds how
// long another process's revocation can go unseen here; a revocation made in this process
// drops the serial from the cache at once (src/app builds one OcspCache per issuer and hands
// the same one to the lookup and to the revocation's event sink).
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Issuer } from '../ca/hierarchy.js';
import {
  CERT_ID_HASHES,
  OID_SHA1,
  buildOcspResponse,
  ocspTbsForSerials,
  computeIssuerHashes,
  encodeCertId,
  ocspErrorResponse,
  parseOcspRequest,
  type IssuerHashes,
  type OcspCertId,
  type OcspCertStatus,
  type OcspErrorStatus,
} from '../ca/ocsp.js';
import { DerError } from '../crypto/der-reader.js';
import type { Clock, Logger } from '../domain/ports.js';
import type { StoreView } from '../store/views.js';
import type { NewOcspResponse, OcspCertificateState } from '../store/repos/ocsp-responses.js';
import type { EventSink, PresignedRevocations } from '../orders/events.js';
import type { AttemptOutcome, JobKind } from '../worker/job-protocol.js';

export const JOB_OCSP_REFRESH = 'ocsp-refresh' satisfies JobKind;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** nextUpdate - thisUpdate of a response for an issued certificate (BR §4.9.10: 8 hours to 10 days). */
export const OCSP_VALIDITY_MS = 4 * DAY;
/** The refresh job re-signs responses whose nextUpdate is closer than this. */
export const OCSP_REFRESH_BEFORE_MS = 2 * DAY;
/** The lookup re-signs a stored response itself when less than this is left (the job is behind). */
export const OCSP_STALE_MS = DAY;
/** Validity of answers for serials we never issued: they are not subscriber certificates. */
export const OCSP_UNKNOWN_VALIDITY_MS = HOUR;
/** In-process answer cache: entries live this long, so another process's revocation shows within it. */
export const OCSP_CACHE_TTL_MS = 60_000;
export const OCSP_CACHE_ENTRIES = 10_000;
/** The refresh job runs this often. */
export const OCSP_REFRESH_EVERY_MS = HOUR;
/** A burst of issuances is pre-signed together, by a refresh due this long after the first of them. */
export const OCSP_ISSUED_BATCH_MS = 60_000;

const REFRESH_BATCH = 500;
/** One refresh run stops after this much work (well within a job lease); the next run goes on. */
const REFRESH_BUDGET_MS = 10_000;
/** After a revocation in this process, its serial bypasses the cache this long (until the transaction has surely committed). */
const HOLD_MS = 10_000;
/**
 * An issuance trusts a refresh it read due later than now plus this (clocks of other
 * processes that run the job may be ahead); closer to it, it reads the job row again.
 */
const REFRESH_DUE_MARGIN_MS = 5_000;

/** What the refresh job needs; OrderDeps has all of it. */
export interface OcspDeps {
  store: StoreView<'ocspResponses' | 'jobs'>;
  clock: Clock;
  logger: Logger;
  ca: { id: number; leaf: { issuer: Issuer } };
}

/** What lookups need besides: this process's cache of answers for the issuer. */
export interface OcspLookupDeps extends Omit<OcspDeps, 'store'> {
  store: StoreView<'ocspResponses'>;
  cache: OcspCache;
}

/** The issuing CA that signs the responses of its certificates (RFC 6960 §4.2.2.2). */
export interface OcspCa {
  id: number;
  issuer: Issuer;
}

export interface OcspAnswer {
  /** The OCSPResponse DER to send. */
  der: Buffer;
  status: 'good' | 'revoked' | 'unknown' | 'several' | OcspErrorStatus;
  /** Successful answers: the span the response is valid for, for HTTP caching (RFC 5019 §6.2). */
  thisUpdate?: number;
  nextUpdate?: number;
  /** Successful answers: a strong validator of the bytes. */
  etag?: string;
}

// ---- Per-issuer state of this process ----

/**
 * The in-process state of the responder for one issuing CA: built once per process by
 * src/app (createOcspCache) and given to both the lookups and the revocation's event sink,
 * so that a revocation made here reaches the answers the handler serves.
 */
export interface OcspCache {
  issuer: Issuer;
  /** issuerNameHash/issuerKeyHash of the issuer for each CertID hash we support, by OID. */
  hashes: Map<string, IssuerHashes>;
  answers: Map<string, { answer: OcspAnswer; expires: number }>;
  /** Serials revoked here lately: answered from the store, never from the cache. */
  held: Map<string, number>;
  /** Lookups in progress, so concurrent misses for one serial sign and store once. */
  inflight: Map<string, Promise<OcspAnswer>>;
  /**
   * The issuer's refresh job was read due at this time (ms; 0: not known): until shortly
   * before it, issuances here skip the job read (ocspEventSink).
   */
  refreshDueAt: number;
}

function issuerHashes(issuer: Issuer): Map<string, IssuerHashes> {
  const hashes = new Map<string, IssuerHashes>();
  for (const [oid, hash] of Object.entries(CERT_ID_HASHES)) hashes.set(oid, computeIssuerHashes(issuer, hash));
  return hashes;
}

/** The size of each `held` map after its last pruning. */
const heldAfterPrune = new WeakMap<Map<string, number>, number>();

export function createOcspCache(issuer: Issuer): OcspCache {
  const held = new Map<string, number>();
  heldAfterPrune.set(held, 0);
  return { issuer, hashes: issuerHashes(issuer), answers: new Map(), held, inflight: new Map(), refreshDueAt: 0 };
}

function isOurs(state: OcspCache, id: OcspCertId): boolean {
  const h = state.hashes.get(id.hashAlgorithm);
  return h !== undefined && h.nameHash.equals(id.issuerNameHash) && h.keyHash.equals(id.issuerKeyHash);
}

function isHeld(state: OcspCache, serial: string, now: number): boolean {
  const until = state.held.get(serial);
  if (until === undefined) return false;
  if (until > now) return true;
  state.held.delete(serial);
  return false;
}

function hold(state: OcspCache, serial: string, now: number): void {
  // Pruned when the map has doubled since the last pruning: a batch of many revocations
  // costs linear time, not a scan of the map per serial.
  if (state.held.size > Math.max(1000, 2 * (heldAfterPrune.get(state.held) ?? 0))) {
    for (const [k, until] of state.held) if (until <= now) state.held.delete(k);
    heldAfterPrune.set(state.held, state.held.size);
  }
  state.held.set(serial, now + HOLD_MS);
  for (const oid of state.hashes.keys()) state.answers.delete(cacheKey(oid, serial));
}

function cacheKey(hashAlgorithm: string, serial: string): string {
  return `${hashAlgorithm}:${serial}`;
}

function cacheGet(state: OcspCache, key: string, now: number): OcspAnswer | undefined {
  const e = state.answers.get(key);
  if (!e) return undefined;
  state.answers.delete(key);
  if (e.expires <= now || (e.answer.nextUpdate !== undefined && e.answer.nextUpdate <= now)) return undefined;
  state.answers.set(key, e); // most recently used last
  return e.answer;
}

function cacheSet(state: OcspCache, key: string, answer: OcspAnswer, now: number): void {
  if (state.answers.size >= OCSP_CACHE_ENTRIES) state.answers.delete(state.answers.keys().next().value!);
  state.answers.set(key, { answer, expires: now + OCSP_CACHE_TTL_MS });
}

// ---- Signing ----

function statusOf(row: OcspCertificateState): OcspCertStatus {
  return row.revoked_at === null
    ? { kind: 'good' }
    : { kind: 'revoked', revokedAt: row.revoked_at, reason: row.revocation_reason };
}

function serialBytes(hex: string): Buffer {
  return Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
}

function answerOf(der: Buffer, status: OcspAnswer['status'], thisUpdate: number, nextUpdate: number): OcspAnswer {
  return { der, status, thisUpdate, nextUpdate, etag: `"${createHash('sha1').update(der).digest('base64url')}"` };
}

function errorAnswer(status: OcspErrorStatus): OcspAnswer {
  return { der: ocspErrorResponse(status), status };
}

/** The response to store for an issued certificate: SHA-1 CertID, as RFC 5019 §2.1.1 has clients ask. */
function signStoredResponse(
  ca: OcspCa,
  hashes: Map<string, IssuerHashes>,
  row: OcspCertificateState,
  now: number,
): NewOcspResponse {
  const certId = encodeCertId(OID_SHA1, hashes.get(OID_SHA1)!, serialBytes(row.serial));
  const nextUpdate = now + OCSP_VALIDITY_MS;
  const der = buildOcspResponse(ca.issuer, now, [{ certId, status: statusOf(row), thisUpdate: now, nextUpdate }]);
  return {
    issuer_id: ca.id,
    serial: row.serial,
    der,
    this_update: now,
    next_update: nextUpdate,
    revoked_at: row.revoked_at,
  };
}

/** What a response must state for a certificate revoked at `at` for `reason`. */
function revokedState(issuerId: number, serial: string, at: number, reason: number | null): OcspCertificateState {
  return {
    issuer_id: issuerId,
    serial,
    revoked_at: at,
    revocation_reason: reason,
    not_after: 0,
    der: null,
    this_update: null,
    next_update: null,
    response_revoked_at: null,
  };
}

/**
 * The responses a mass revocation's batch will store (the OCSP sink takes them from its
 * event): signed for `serials` ahead of the batch's transaction, so that this CPU work runs
 * while the database works on another batch, by `signMany` (ca/signing-thread.ts: on a
 * worker thread, so the main thread meanwhile runs the other batch's statements). A serial
 * the batch does not revoke (already revoked, unknown) costs a signature and is dropped.
 */
export async function presignRevocations(
  ca: OcspCa,
  cache: OcspCache,
  serials: readonly string[],
  at: number,
  reason: number | null,
  signMany: (tbs: readonly Buffer[]) => Promise<Buffer[]>,
): Promise<PresignedRevocations> {
  // All of the batch's responses state the same revocation: one template, a serial and a signature each.
  const { tbs, assemble } = ocspTbsForSerials(
    ca.issuer,
    { hashAlgorithm: OID_SHA1, hashes: cache.hashes.get(OID_SHA1)! },
    at,
    serials.map(serialBytes),
    { kind: 'revoked', revokedAt: at, reason },
    at,
    at + OCSP_VALIDITY_MS,
  );
  const signatures = await signMany(tbs);
  const der = new Map<string, Buffer>();
  serials.forEach((s, i) => der.set(s, assemble(tbs[i]!, signatures[i]!)));
  return { issuerId: ca.id, revokedAt: at, reason, validityMs: OCSP_VALIDITY_MS, der };
}

/** A stored response is served while it states the certificate's status and has a day or more to run. */
function storedIsCurrent(row: OcspCertificateState, now: number): boolean {
  return (
    row.der !== null &&
    row.next_update !== null &&
    row.next_update - now > OCSP_STALE_MS &&
    row.response_revoked_at === row.revoked_at
  );
}

function signUnknown(ca: OcspCa, certId: Buffer, now: number): OcspAnswer {
  const nextUpdate = now + OCSP_UNKNOWN_VALIDITY_MS;
  return answerOf(
    buildOcspResponse(ca.issuer, now, [{ certId, status: { kind: 'unknown' }, thisUpdate: now, nextUpdate }]),
    'unknown',
    now,
    nextUpdate,
  );
}

// ---- Lookup ----

/**
 * The OCSPResponse DER answering an OCSPRequest DER: malformedRequest when it cannot be
 * read, unauthorized when a CertID names an issuer other than ours, otherwise a signed
 * response (stored when the request asks about one certificate with a SHA-1 CertID, the
 * RFC 5019 case; signed on the fly otherwise).
 */
export async function getOcspResponseDer(deps: OcspLookupDeps, requestDer: Buffer): Promise<OcspAnswer> {
  let certIds: OcspCertId[];
  try {
    certIds = parseOcspRequest(requestDer).certIds;
  } catch (e) {
    if (e instanceof DerError) return errorAnswer('malformedRequest');
    throw e;
  }
  const ca: OcspCa = { id: deps.ca.id, issuer: deps.ca.leaf.issuer };
  const state = deps.cache;
  if (!certIds.every((id) => isOurs(state, id))) return errorAnswer('unauthorized');
  if (certIds.length > 1) return answerSeveral(deps, ca, certIds);
  const certId = certIds[0]!;
  const now = deps.clock.now();
  const serial = certId.serialHex;
  if (serial === null) return signUnknown(ca, certId.der, now);
  const key = cacheKey(certId.hashAlgorithm, serial);
  if (!isHeld(state, serial, now)) {
    const hit = cacheGet(state, key, now);
    if (hit) return hit;
  }
  let pending = state.inflight.get(key);
  if (!pending) {
    pending = lookUp(deps, ca, certId, serial, now).finally(() => state.inflight.delete(key));
    state.inflight.set(key, pending);
  }
  const answer = await pending;
  if (!isHeld(state, serial, deps.clock.now())) cacheSet(state, key, answer, now);
  return answer;
}

async function lookUp(
  deps: OcspLookupDeps,
  ca: OcspCa,
  certId: OcspCertId,
  serial: string,
  now: number,
): Promise<OcspAnswer> {
  const row = await deps.store.repos.ocspResponses.find(ca.id, serial);
  if (!row) return signUnknown(ca, certId.der, now);
  const status = row.revoked_at === null ? 'good' : 'revoked';
  if (certId.hashAlgorithm !== OID_SHA1) {
    // Other CertID hashes (RFC 6960 §4.1.1 allows them) are signed for the CertID as asked.
    const nextUpdate = now + OCSP_VALIDITY_MS;
    return answerOf(
      buildOcspResponse(ca.issuer, now, [{ certId: certId.der, status: statusOf(row), thisUpdate: now, nextUpdate }]),
      status,
      now,
      nextUpdate,
    );
  }
  if (storedIsCurrent(row, now)) return answerOf(row.der!, status, row.this_update!, row.next_update!);
  const fresh = signStoredResponse(ca, deps.cache.hashes, row, now);
  try {
    await deps.store.repos.ocspResponses.save([fresh]);
  } catch (e) {
    // The answer is right whether or not it was stored; the refresh job stores one later.
    deps.logger.log('warn', 'storing an OCSP response failed', { serial, error: String(e) });
  }
  return answerOf(fresh.der, status, now, fresh.next_update);
}

/** Several CertIDs in one request (RFC 6960 §4.1.1 allows it; RFC 5019 clients send one): one response, signed now. */
async function answerSeveral(deps: OcspLookupDeps, ca: OcspCa, certIds: OcspCertId[]): Promise<OcspAnswer> {
  const serials = certIds.map((c) => c.serialHex).filter((s): s is string => s !== null);
  const rows = new Map((await deps.store.repos.ocspResponses.findMany(ca.id, serials)).map((r) => [r.serial, r]));
  const now = deps.clock.now();
  const responses = certIds.map((c) => {
    const row = c.serialHex === null ? undefined : rows.get(c.serialHex);
    const nextUpdate = now + (row ? OCSP_VALIDITY_MS : OCSP_UNKNOWN_VALIDITY_MS);
    return { certId: c.der, status: row ? statusOf(row) : { kind: 'unknown' as const }, thisUpdate: now, nextUpdate };
  });
  const nextUpdate = Math.min(...responses.map((r) => r.nextUpdate));
  return answerOf(buildOcspResponse(ca.issuer, now, responses), 'several', now, nextUpdate);
}

// ---- Keeping stored responses current ----

/**
 * On revocation: re-signs the certificate's response in the revocation's transaction, and
 * makes this process stop serving what it cached. On issuance: makes sure a refresh runs
 * soon to pre-sign the new certificate's response (one refresh for a burst of issuances:
 * the job row is only written when no refresh is due within OCSP_ISSUED_BATCH_MS, so
 * concurrent issuances do not queue on it).
 *
 * A refresh read due soon is remembered (cache.refreshDueAt), and the issuances before it
 * skip the read: a job row only moves earlier (jobs.enqueue keeps the earlier run_at) until
 * the job runs, which it does no earlier than its run_at. Only a read is remembered, never
 * this transaction's own write, which may roll back. Should the memory be wrong all the same
 * (the row deleted, or run early by another process), it is for less than
 * OCSP_ISSUED_BATCH_MS, and costs a pre-signing, not an answer: a certificate without a
 * stored response is signed on its first lookup, and by the next hourly refresh.
 */
export function ocspEventSink(ca: OcspCa, cache: OcspCache): EventSink {
  return async (repos, event, now) => {
    if (event.kind === 'issued') {
      if (now < cache.refreshDueAt - REFRESH_DUE_MARGIN_MS) return;
      const job = await repos.jobs.find(JOB_OCSP_REFRESH, ca.id);
      if (job && job.run_at <= now + OCSP_ISSUED_BATCH_MS) {
        cache.refreshDueAt = job.run_at;
        return;
      }
      await repos.jobs.enqueue(JOB_OCSP_REFRESH, ca.id, now + OCSP_ISSUED_BATCH_MS, now);
      return;
    }
    if (event.kind === 'revoked_batch') {
      // What the responses state is in the event (no read); those signed before the
      // transaction for this issuer, time and reason are stored as they are, any other is
      // signed here. Stored in statements of 1000.
      const at = event.revokedAt;
      const p = event.presigned;
      const presigned =
        p !== undefined &&
        p.issuerId === ca.id &&
        p.revokedAt === at &&
        p.reason === event.reason &&
        p.validityMs === OCSP_VALIDITY_MS
          ? p.der
          : undefined;
      const rows: NewOcspResponse[] = [];
      for (const c of event.certificates) {
        if (c.issuerId !== ca.id) continue;
        hold(cache, c.serial, now);
        const der = presigned?.get(c.serial);
        rows.push(
          der === undefined
            ? signStoredResponse(ca, cache.hashes, revokedState(ca.id, c.serial, at, event.reason), at)
            : {
                issuer_id: ca.id,
                serial: c.serial,
                der,
                this_update: at,
                next_update: at + OCSP_VALIDITY_MS,
                revoked_at: at,
              },
        );
      }
      for (let i = 0; i < rows.length; i += 1000) await repos.ocspResponses.save(rows.slice(i, i + 1000));
      return;
    }
    if (event.kind !== 'revoked') return;
    const row = await repos.ocspResponses.findByCertificateId(event.certificateId);
    if (!row || row.issuer_id !== ca.id || row.revoked_at === null) return;
    hold(cache, row.serial, now);
    await repos.ocspResponses.save([signStoredResponse(ca, cache.hashes, row, now)]);
  };
}

/**
 * The refresh job (JOB_OCSP_REFRESH, ref = issuer id): signs and stores a response for every
 * unexpired certificate of the issuer that has none, whose response ends within
 * OCSP_REFRESH_BEFORE_MS, or whose response does not state its revocation; drops responses
 * that have expired; then schedules its next run, an hour on (or at once when its time
 * budget ran out first).
 */
export async function runOcspRefresh(deps: OcspDeps, issuerId: number): Promise<AttemptOutcome> {
  // Only the issuer whose key this process holds; a retired issuer's responses run out.
  if (issuerId !== deps.ca.id) return { kind: 'done' };
  const ca: OcspCa = { id: deps.ca.id, issuer: deps.ca.leaf.issuer };
  const hashes = issuerHashes(ca.issuer);
  const repos = deps.store.repos.ocspResponses;
  const started = performance.now();
  let after = '';
  let signed = 0;
  let finished = false;
  while (performance.now() - started < REFRESH_BUDGET_MS) {
    const now = deps.clock.now();
    const rows = await repos.needingResponse(ca.id, {
      now,
      refreshBefore: now + OCSP_REFRESH_BEFORE_MS,
      afterSerial: after,
      limit: REFRESH_BATCH,
    });
    await repos.save(rows.map((r) => signStoredResponse(ca, hashes, r, now)));
    signed += rows.length;
    if (rows.length < REFRESH_BATCH) {
      finished = true;
      break;
    }
    after = rows[rows.length - 1]!.serial;
  }
  const dropped = finished ? await repos.deleteExpired(ca.id, deps.clock.now()) : 0;
  const now = deps.clock.now();
  const again = finished ? now + OCSP_REFRESH_EVERY_MS : now;
  await deps.store.writeTransaction(async (tx) => {
    // The worker deletes a finished job by its id; replacing the row (new id) keeps the next run.
    await tx.jobs.cancel(JOB_OCSP_REFRESH, issuerId);
    await tx.jobs.enqueue(JOB_OCSP_REFRESH, issuerId, again, now);
  });
  if (signed > 0 || dropped > 0)
    deps.logger.log('info', 'OCSP responses refreshed', { issuerId, signed, dropped, finished });
  return { kind: 'done' };
}

/** Makes sure the issuer's refresh job exists (e.g. at worker start, for certificates issued before OCSP was served). */
export async function ensureOcspRefreshScheduled(deps: OcspDeps): Promise<void> {
  const now = deps.clock.now();
  await deps.store.repos.jobs.enqueue(JOB_OCSP_REFRESH, deps.ca.id, now + OCSP_ISSUED_BATCH_MS, now);
}

/** What the relying-party front end holds: answers, and nothing else of the store. */
export interface OcspResponder {
  answer(requestDer: Buffer): Promise<OcspAnswer>;
}

/**
 * Answers for every issuer in `issuers` (the active one first; retired ones still answer for
 * their certificates): a request goes to the first issuer its CertIDs name, unauthorized
 * when none does (RFC 6960 §2.3).
 */
export function createOcspResponder(issuers: readonly OcspLookupDeps[]): OcspResponder {
  return {
    async answer(requestDer) {
      let answer: OcspAnswer = errorAnswer('unauthorized');
      for (const deps of issuers) {
        answer = await getOcspResponseDer(deps, requestDer);
        if (answer.status !== 'unauthorized') return answer;
      }
      return answer;
    },
  };
}
