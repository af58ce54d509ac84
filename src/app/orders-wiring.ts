// Builds the order engine's dependencies and the worker from config.
import { NUDGE_FIRST_GAP_MS, NUDGE_FREE_PER_ORDER, createValidationNudges } from './validation-nudges.js';
import { auditEventSink } from '../audit/event-sink.js';
import { X509Certificate } from 'node:crypto';
import { intermediatesOf, type CaHierarchy, type CaIssuer } from './ca-bootstrap.js';
import type { AppContext } from './context.js';
import type { AttemptWatch, OrderDeps } from '../orders/deps.js';
import type { LeafIssuer } from '../ca/leaf-profile.js';
import { toPem } from '../crypto/pem.js';
import { consoleBaseUrl, formatHostPort } from '../config/schema.js';
import { createDnsResolver, createHttpFetcher, createTlsConnector } from '../validation/index.js';
import { JOB_ISSUE, JOB_VALIDATE } from '../orders/job-kinds.js';
import { runValidationAttempt } from '../orders/run-validation.js';
import { runIssuance } from '../orders/issue-certificate.js';
import { startWorker, type Worker } from '../worker/worker.js';
import { retryDelay, type LeasedJob } from '../worker/job-protocol.js';
import type { LocalAttemptWatch } from './attempt-watch.js';
import { combineSinks } from '../orders/events.js';
import { createConsoleLink } from '../accounts/console-sessions.js';
import { consoleLinkUrl } from './console.js';
import { JOB_NOTICE, noticeEventSink, noticeJobHandler, noticeSettings, type EmailChannel } from '../notices/index.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CRL_REVOCATION_DELAY_MS,
  JOB_CRL,
  crlEventSink,
  ensureCrlScheduled,
  runCrlPublication,
} from '../status/publish-crl.js';
import { crlHandler } from '../api/public/crl.js';
import {
  JOB_OCSP_REFRESH,
  createOcspCache,
  createOcspResponder,
  ensureOcspRefreshScheduled,
  ocspEventSink,
  presignRevocations,
  runOcspRefresh,
  type OcspCache,
} from '../status/ocsp-responses.js';
import { ocspHandler } from '../api/public/ocsp.js';
import { createBulkSigner, type BulkSigner } from '../ca/signing-thread.js';
import type { AcmeDeps } from '../orders/acme/deps.js';
import { JOB_ACME_CHALLENGE, runAcmeChallenge } from '../orders/acme/challenges.js';

/** The public URLs an issuing CA's certificates carry (AIA caIssuers, CRL distribution points, OCSP); `stem` names the issuer (ca-bootstrap.ts urlStem). */
export function caUrls(publicUrl: string, stem = 'issuing') {
  return {
    issuingCert: `${publicUrl}/ca/${stem}.cer`,
    issuingCrl: `${publicUrl}/crl/${stem}.crl`,
    issuingCrlPartition: (shard: number) => `${publicUrl}/crl/${stem}-p${shard}.crl`,
    ocsp: `${publicUrl}/ocsp`,
  };
}

/**
 * Threads that sign a mass revocation's OCSP responses: one beside the main thread, which
 * meanwhile writes the previous batch (on 2 cores the two are busy together; a third
 * competes with the store). PostgreSQL's own processes take what the cores leave.
 */
const SIGNING_THREADS = 1;

function issuingCas(hierarchy: CaHierarchy): CaIssuer[] {
  const active = hierarchy.all.filter((c) => c.role === 'issuing' && c.id === hierarchy.issuingId);
  return [...active, ...hierarchy.all.filter((c) => c.role === 'issuing' && c.id !== hierarchy.issuingId)];
}

/**
 * The order engine's dependencies as issuer `issuerId` sees them: `deps` itself for the
 * active issuing CA; for a retired issuing CA, or a root, the same with that issuer's key, so
 * its CRL jobs and handler (and, for issuing CAs, its OCSP jobs and responder) sign for the
 * certificates it issued. A root's CRL lists the CA certificates it revoked (none so far):
 * the issuing CA certificates name it in their CRL distribution points (BR 7.1.2.10.7), so it
 * is published like the others, whole (no partitions).
 */
export function depsForIssuer(ctx: AppContext, hierarchy: CaHierarchy, deps: OrderDeps, issuerId: number): OrderDeps {
  if (issuerId === deps.ca.id) return deps;
  const c = hierarchy.all.find((x) => x.id === issuerId);
  if (!c) return deps; // not ours: the handlers drop a job naming an unknown issuer
  const urls = caUrls(ctx.config.publicUrl, c.stem);
  const leaf = { issuer: c.issuer, caIssuersUrl: urls.issuingCert, crlUrl: urls.issuingCrl, ocspUrl: urls.ocsp };
  return {
    ...deps,
    ca: {
      ...deps.ca,
      id: c.id,
      leaf,
      crlPartitions: c.role === 'root' ? 1 : deps.ca.crlPartitions,
      leafForPartition: (shard) => ({ ...leaf, crlUrl: urls.issuingCrlPartition(shard) }),
    },
  };
}

/** The subject commonName of a CA certificate (what certificate listings show as Issuer). */
function commonNameOf(certDer: Buffer): string {
  const subject = new X509Certificate(certDer).subject;
  return /CN=([^\n]+)/.exec(subject)?.[1] ?? subject;
}

/** This process's OCSP answer cache of each issuing CA, by issuer id (status/ocsp-responses.ts). */
export type OcspCaches = ReadonlyMap<number, OcspCache>;

export function createOcspCaches(hierarchy: CaHierarchy): OcspCaches {
  return new Map(issuingCas(hierarchy).map((c) => [c.id, createOcspCache(c.issuer)]));
}

/**
 * `ocspCaches`: this process's OCSP answers per issuing CA. The revocation sinks built here
 * and the OCSP responder (publicHandlers) must get the same ones, so that a revocation made
 * in this process is never answered from a cache.
 */
export function buildOrderDeps(
  ctx: AppContext,
  hierarchy: CaHierarchy,
  wake: (at?: number) => void,
  ocspCaches: OcspCaches = createOcspCaches(hierarchy),
  attempts?: AttemptWatch,
  /** What this process knows of the e-mail channel (notices/event-sink.ts); `certdesk serve` knows, `certdesk admin` does not. */
  emailChannel: EmailChannel = 'unknown',
): OrderDeps {
  const { config } = ctx;
  const stem = hierarchy.all.find((c) => c.id === hierarchy.issuingId)!.stem;
  const urls = caUrls(config.publicUrl, stem);
  // Leaf, then intermediates; never the self-signed root, which relying parties must already hold (RFC 8446 §4.4.2, RFC 5246 §7.4.2).
  const chains = new Map(
    hierarchy.all
      .filter((c) => c.role === 'issuing')
      .map((c) => [
        c.id,
        intermediatesOf(hierarchy, c.id)
          .map((d) => toPem('CERTIFICATE', d))
          .join(''),
      ]),
  );
  return {
    store: ctx.store,
    clock: ctx.clock,
    random: ctx.random,
    sealer: ctx.sealer,
    logger: ctx.logger,
    ca: {
      id: hierarchy.issuingId,
      issuerIds: issuingCas(hierarchy).map((c) => c.id),
      leaf: { issuer: hierarchy.issuing, caIssuersUrl: urls.issuingCert, crlUrl: urls.issuingCrl, ocspUrl: urls.ocsp },
      commonName: commonNameOf(hierarchy.issuing.certDer),
      crlPartitions: config.crlPartitions,
      // One profile object per partition: leaf-profile.ts caches its DER template per object.
      // Made on first use, for any partition number (`certdesk admin cert revoke` re-signs
      // the partitions already published, whatever its own --crl-partitions).
      leafForPartition: (() => {
        const profiles = new Map<number, LeafIssuer>();
        return (shard: number) => {
          let p = profiles.get(shard);
          if (!p) {
            p = {
              issuer: hierarchy.issuing,
              caIssuersUrl: urls.issuingCert,
              crlUrl: urls.issuingCrlPartition(shard),
              ocspUrl: urls.ocsp,
            };
            profiles.set(shard, p);
          }
          return p;
        };
      })(),
      chainPem: (issuerId) => chains.get(issuerId) ?? chains.get(hierarchy.issuingId)!,
    },
    validation: {
      resolver: createDnsResolver({ server: config.dnsResolver ? formatHostPort(config.dnsResolver) : undefined }),
      fetcher: createHttpFetcher(),
      httpPort: config.httpValidationPort,
      allowPrivateTargets: config.allowPrivateValidationTargets,
      tls: createTlsConnector(),
      tlsAlpnPort: config.tlsAlpnValidationPort,
      caaIdentity: config.caaIdentity,
      retryBaseMs: config.validationRetryMs,
    },
    wake,
    ...(attempts ? { attempts } : {}),
    nudges: createValidationNudges({
      firstGapMs: Math.min(NUDGE_FIRST_GAP_MS, config.validationNudgeIntervalMs),
      freePerOrder: NUDGE_FREE_PER_ORDER,
      orderIntervalMs: config.validationNudgeIntervalMs,
      perAccountPerMinute: config.validationNudgesPerMinute,
      // The worker runs in this process unless it only serves the API (serve.ts).
      attemptsSeen: config.role !== 'api',
    }),
    // The CRL sink last: it takes the issuer's CRL counter row (held until the commit), so
    // concurrent revocations wait on each other for the shortest time.
    events: combineSinks(
      auditEventSink(),
      noticeEventSink({ email: emailChannel }),
      ...issuingCas(hierarchy).map((c) => ocspEventSink({ id: c.id, issuer: c.issuer }, ocspCaches.get(c.id)!)),
      crlEventSink(CRL_REVOCATION_DELAY_MS),
    ),
    // A mass revocation's OCSP responses, signed by the active issuing CA before each batch's
    // transaction (a retired CA's certificates are signed by the OCSP sink of that CA), on a
    // signing thread started at the first batch (none in a process that never mass-revokes).
    presignRevocations: (() => {
      let bulk: BulkSigner | undefined;
      return async (serials: readonly string[], revokedAt: number, reason: number | null) => {
        bulk ??= createBulkSigner(hierarchy.issuing.signer, SIGNING_THREADS);
        return presignRevocations(
          { id: hierarchy.issuingId, issuer: hierarchy.issuing },
          ocspCaches.get(hierarchy.issuingId)!,
          serials,
          revokedAt,
          reason,
          (tbs) => bulk!.signMany(tbs),
        );
      };
    })(),
    // CERTDESK_FAULT=kill-after-intent: the crash test's way to die between the two phases of issuance.
    ...(ctx.env.CERTDESK_FAULT === 'kill-after-intent'
      ? { afterIntentRecorded: () => process.kill(process.pid, 'SIGKILL') }
      : {}),
    // CERTDESK_FAULT=kill-after-revocation-batch:N: dies once N batches of a mass revocation committed.
    ...(/^kill-after-revocation-batch:\d+$/.test(ctx.env.CERTDESK_FAULT ?? '')
      ? {
          afterRevocationBatch: (n: number) => {
            if (n >= Number(ctx.env.CERTDESK_FAULT!.split(':')[1])) process.kill(process.pid, 'SIGKILL');
          },
        }
      : {}),
  };
}

/**
 * CRL and OCSP endpoints of every issuing CA, current and retired; `ocspCaches` are the ones
 * given to buildOrderDeps (a revocation in this process drops the answers the responder keeps).
 */
export function publicHandlers(
  ctx: AppContext,
  hierarchy: CaHierarchy,
  deps: OrderDeps,
  ocspCaches: OcspCaches,
): FastifyPluginAsyncTypebox[] {
  const responder = createOcspResponder(
    issuingCas(hierarchy).map((c) => ({
      store: ctx.store,
      clock: ctx.clock,
      logger: ctx.logger,
      ca: depsForIssuer(ctx, hierarchy, deps, c.id).ca,
      cache: ocspCaches.get(c.id)!,
    })),
  );
  return [
    crlHandler(
      ctx.store,
      hierarchy.all.map((c) => ({ id: c.id, stem: c.stem })),
      ctx.clock,
    ),
    ocspHandler({ responder, clock: ctx.clock, logger: ctx.logger }),
  ];
}

export function startOrderWorker(
  ctx: AppContext,
  hierarchy: CaHierarchy,
  deps: OrderDeps,
  pollMs?: number,
  acme?: AcmeDeps,
  attempts?: LocalAttemptWatch,
): Worker {
  const forIssuer = (id: number) => depsForIssuer(ctx, hierarchy, deps, id);
  // CRLs are published from the first start and stay scheduled (src/status/publish-crl.ts);
  // OCSP responses are pre-signed and refreshed before they expire (src/status/ocsp-responses.ts).
  // Retired issuing CAs keep both for the certificates they issued; roots publish their CRL.
  Promise.all([
    ...hierarchy.all.map((c) => ensureCrlScheduled(forIssuer(c.id))),
    ...issuingCas(hierarchy).map((c) => ensureOcspRefreshScheduled(forIssuer(c.id))),
  ]).then(
    () => deps.wake(),
    (e) => ctx.logger.log('error', 'CRL/OCSP scheduling failed', { error: String(e) }),
  );
  const worker = startWorker({
    store: ctx.store,
    clock: ctx.clock,
    logger: ctx.logger,
    handlers: {
      [JOB_VALIDATE]: (id, turn) => runValidationAttempt(deps, id, turn),
      [JOB_ISSUE]: (id, turn) => runIssuance(deps, id, turn),
      [JOB_CRL]: (id) => runCrlPublication(forIssuer(id), id),
      // Notice e-mails link to the order's console page through a one-time sign-in link.
      [JOB_NOTICE]: noticeJobHandler(deps, noticeSettings(ctx.config), async (accountId, orderId) =>
        consoleLinkUrl(consoleBaseUrl(ctx.config), (await createConsoleLink(ctx.accounts, accountId, orderId)).token),
      ),
      [JOB_OCSP_REFRESH]: (id) => runOcspRefresh(forIssuer(id), id),
      ...(acme
        ? {
            [JOB_ACME_CHALLENGE]: (id: number, turn: { jobId: number; owner: string }) =>
              runAcmeChallenge(acme, id, turn),
          }
        : {}),
    },
    retryDelay: (n) => retryDelay(deps.validation.retryBaseMs, n),
    // A DescribeCertificateState waiting for the order's attempt (and the issuance it led to) answers now.
    ...(attempts
      ? {
          onSettled: (job: LeasedJob) => {
            if (job.kind === JOB_VALIDATE || job.kind === JOB_ISSUE) attempts.settled(job.refId);
          },
        }
      : {}),
    pollMs,
    leaseMs: ctx.config.jobLeaseSeconds * 1000,
  });
  attempts?.start();
  // Jobs made due now by another process (an API process's DescribeCertificateState, a
  // submission, `certdesk admin`) wake this worker at once on PostgreSQL (NOTIFY), not at its next poll.
  const listening = ctx.store.onJobsDue(() => worker.wake());
  return {
    wake: (at?: number) => worker.wake(at),
    async stop() {
      await listening.close();
      await worker.stop();
    },
  };
}
