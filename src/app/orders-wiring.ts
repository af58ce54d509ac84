// Builds the order engine's dependencies and the worker from config.
import type { CaHierarchy } from './ca-bootstrap.js';
import type { AppContext } from './context.js';
import type { OrderDeps } from '../orders/deps.js';
import { toPem } from '../crypto/pem.js';
import { formatHostPort } from '../config/schema.js';
import { createDnsResolver, createHttpFetcher } from '../validation/index.js';
import { JOB_ISSUE, JOB_VALIDATE, retryDelay } from '../orders/jobs.js';
import { runValidationAttempt } from '../orders/run-validation.js';
import { runIssuance } from '../orders/issue-certificate.js';
import { startWorker, type Worker } from '../worker/worker.js';
import { combineSinks } from '../orders/events.js';
import { JOB_NOTICE, noticeEventSink, noticeJobHandler, noticeSettings } from '../notices/index.js';
import type { PublicHandler } from '../api/public/handler.js';
import {
  CRL_REVOCATION_DELAY_MS,
  JOB_CRL,
  crlEventSink,
  ensureCrlScheduled,
  runCrlPublication,
} from '../orders/publish-crl.js';
import { crlHandler } from '../api/public/crl.js';
import {
  JOB_OCSP_REFRESH,
  ensureOcspRefreshScheduled,
  ocspEventSink,
  runOcspRefresh,
} from '../orders/ocsp-responses.js';
import { ocspHandler } from '../api/public/ocsp.js';

/** The public URLs certificates carry (AIA caIssuers, CRL distribution points, OCSP). */
export function caUrls(publicUrl: string) {
  return {
    issuingCert: `${publicUrl}/ca/issuing.cer`,
    rootCert: `${publicUrl}/ca/root.cer`,
    issuingCrl: `${publicUrl}/crl/issuing.crl`,
    issuingCrlPartition: (shard: number) => `${publicUrl}/crl/issuing-p${shard}.crl`,
    ocsp: `${publicUrl}/ocsp`,
  };
}

export function buildOrderDeps(ctx: AppContext, hierarchy: CaHierarchy, wake: () => void): OrderDeps {
  const { config } = ctx;
  const urls = caUrls(config.publicUrl);
  return {
    store: ctx.store,
    clock: ctx.clock,
    random: ctx.random,
    sealer: ctx.sealer,
    logger: ctx.logger,
    ca: {
      id: hierarchy.issuingId,
      leaf: { issuer: hierarchy.issuing, caIssuersUrl: urls.issuingCert, crlUrl: urls.issuingCrl, ocspUrl: urls.ocsp },
      crlPartitions: config.crlPartitions,
      // One profile object per partition: leaf-profile.ts caches its DER template per object.
      leafForPartition: (() => {
        const profiles = Array.from({ length: config.crlPartitions }, (_, n) => ({
          issuer: hierarchy.issuing,
          caIssuersUrl: urls.issuingCert,
          crlUrl: urls.issuingCrlPartition(n),
          ocspUrl: urls.ocsp,
        }));
        return (shard: number) => profiles[shard]!;
      })(),
      chainPem: toPem('CERTIFICATE', hierarchy.issuing.certDer) + toPem('CERTIFICATE', hierarchy.root.certDer),
    },
    validation: {
      resolver: createDnsResolver({ server: config.dnsResolver ? formatHostPort(config.dnsResolver) : undefined }),
      fetcher: createHttpFetcher(),
      httpPort: config.httpValidationPort,
      allowPrivateTargets: config.allowPrivateValidationTargets,
      caaIdentity: config.caaIdentity,
      retryBaseMs: config.validationRetryMs,
    },
    wake,
    events: combineSinks(
      noticeEventSink(),
      crlEventSink(CRL_REVOCATION_DELAY_MS),
      ocspEventSink({ id: hierarchy.issuingId, issuer: hierarchy.issuing }),
    ),
    // CERTDESK_FAULT=kill-after-intent: the crash test's way to die between the two phases of issuance.
    ...(ctx.env.CERTDESK_FAULT === 'kill-after-intent'
      ? { afterIntentRecorded: () => process.kill(process.pid, 'SIGKILL') }
      : {}),
  };
}

/** CRL and OCSP endpoints (issue 4) register here. */
export function publicHandlers(ctx: AppContext, deps: OrderDeps): PublicHandler[] {
  return [crlHandler(ctx.store, deps.ca.id, ctx.clock), ocspHandler(deps)];
}

export function startOrderWorker(ctx: AppContext, deps: OrderDeps, pollMs?: number): Worker {
  // CRLs are published from the first start and stay scheduled (src/orders/publish-crl.ts);
  // OCSP responses are pre-signed and refreshed before they expire (src/orders/ocsp-responses.ts).
  Promise.all([ensureCrlScheduled(deps), ensureOcspRefreshScheduled(deps)]).then(deps.wake, (e) =>
    ctx.logger.log('error', 'CRL/OCSP scheduling failed', { error: String(e) }),
  );
  return startWorker({
    store: ctx.store,
    clock: ctx.clock,
    logger: ctx.logger,
    handlers: {
      [JOB_VALIDATE]: (id) => runValidationAttempt(deps, id),
      [JOB_ISSUE]: (id) => runIssuance(deps, id),
      [JOB_CRL]: (id) => runCrlPublication(deps, id),
      [JOB_NOTICE]: noticeJobHandler(deps, noticeSettings(ctx.config)),
      [JOB_OCSP_REFRESH]: (id) => runOcspRefresh(deps, id),
    },
    retryDelay: (attempts) => retryDelay(deps.validation.retryBaseMs, attempts),
    pollMs,
    leaseMs: ctx.config.jobLeaseSeconds * 1000,
  });
}
