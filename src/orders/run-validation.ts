// One validation attempt for an order waiting in domain_verify: each pending name is checked
// by its method (DNS TXT at _dnsauth.<base>, or the HTTP file), then CAA (RFC 8659) for that
// name. All names valid: the order moves to process (DV: approved for issuance at once; OV:
// waits for an operator). A CAA record naming another CA ends the order; any other failure
// is kept as the reason and retried with backoff until the validation window closes (the
// random values are usable for 30 days, BR 3.2.2.4 v2.2.6).
import { awaitsCsr, type Authorization, type Order } from '../domain/order.js';
import { checkCaa, checkDnsTxt, checkHttpFile, type CheckResult } from '../validation/index.js';
import { getProduct } from '../policy/products.js';
import type { AttemptOutcome, JobTurn } from '../worker/job-protocol.js';
import type { OrderDeps, UseCaseDeps } from './deps.js';
import type { EventRepoReads, EventRepoWrites } from './events.js';
import { failOrder } from './fail-order.js';
import { prepareIntent, signRecordedIntent } from './issue-certificate.js';
import type { NewCertificate } from '../store/mappers.js';
import { JOB_ISSUE, JOB_VALIDATE } from './job-kinds.js';

export type ValidationDeps = UseCaseDeps<
  'clock' | 'logger' | 'events' | 'validation' | 'wake' | 'random' | 'afterIntentRecorded',
  'orders' | 'authorizations' | 'jobs' | 'certificates' | EventRepoWrites,
  EventRepoReads
> &
  // nudges: told of each attempt where DescribeCertificateState may ask for one (src/app).
  // ca: issuance's phase 1 with the approval (without it, the issue job does all of issuance).
  Partial<Pick<OrderDeps, 'nudges' | 'ca'>>;

async function checkControl(deps: ValidationDeps, order: Order, authz: Authorization): Promise<CheckResult> {
  const v = deps.validation;
  if (order.validateType === 'FILE') {
    return checkHttpFile(
      { resolver: v.resolver, fetcher: v.fetcher },
      { domain: authz.domain, expected: authz.token, port: v.httpPort, allowPrivate: v.allowPrivateTargets },
    );
  }
  return checkDnsTxt({ resolver: v.resolver }, { domain: authz.domain, expected: authz.token });
}

/**
 * One attempt. `turn` (the worker's, worker/worker.ts): a DV order validated here gets its
 * issue job leased to that turn and its issuance intent recorded (issue-certificate.ts phase
 * 1), both in the transaction that approves it, and the same turn then signs and stores the
 * certificate (phase 2) with no claim and no transaction of its own for phase 1. Without a
 * turn, the issue job is queued.
 */
export async function runValidationAttempt(
  deps: ValidationDeps,
  orderId: number,
  turn?: JobTurn,
): Promise<AttemptOutcome> {
  const { repos } = deps.store;
  const order = await repos.orders.getById(orderId);
  if (!order || order.state !== 'domain_verify') return { kind: 'done' }; // cancelled, deleted or moved on meanwhile
  const now = deps.clock.now();
  // From here the checks see the record as it is now: a DescribeCertificateState after this
  // may ask for another attempt (src/app/validation-nudges.ts).
  deps.nudges?.attempted(orderId, now);
  const authzs = await repos.authorizations.forOrder(orderId);

  if (now > order.validationDeadline) {
    const last = authzs.find((a) => a.status !== 'valid')?.lastError ?? 'no attempt succeeded';
    await failOrder(deps, order, `Domain validation did not succeed within 30 days: ${last}`, ['domain_verify']);
    return { kind: 'done' };
  }

  // The checks first (network I/O, outside any transaction), then every write of the attempt
  // in one transaction: the outcomes and their audit entries (BR method, name, result, what
  // was seen), and the order's move with its issue job.
  const checked: Array<{ authz: Authorization; result: CheckResult }> = [];
  let firstProblem: string | undefined;
  let refusal: string | undefined;
  for (const authz of authzs) {
    if (authz.status === 'valid') continue;
    // CAA counts for every name whose control is proven (BR 3.2.2.8 v2.2.6). It is looked up
    // beside the control check, as Boulder's VA does, so the attempt waits for one round of
    // queries; its answer is read only when control passed.
    const caa = checkCaa(
      { resolver: deps.validation.resolver },
      { name: authz.domain, issuerDomain: deps.validation.caaIdentity },
    );
    caa.catch(() => {}); // settled below, or dropped with a failed control check
    const control = await checkControl(deps, order, authz);
    const result = control.ok ? await caa : control;
    checked.push({ authz, result });
    if (result.ok) continue;
    if (result.permanent) {
      refusal = result.reason;
      break;
    }
    firstProblem ??= result.reason;
  }

  const dv = getProduct(order.productCode).validation === 'DV';
  const passed = refusal === undefined && firstProblem === undefined;
  // The intent is built and linted before the transaction (no statement waits on it); one the
  // lint refuses is left to the issue job, which fails the order as it always has.
  const ca = deps.ca;
  const issuance = ca && { ...deps, ca };
  const intentRow =
    passed && dv && turn && issuance && !awaitsCsr(order) ? tryPrepareIntent(issuance, order, now) : undefined;
  const { moved, issueJob, completed, intent } = await deps.store.writeTransaction(async (tx) => {
    for (const { authz, result } of checked) {
      const status = result.ok ? 'valid' : result.permanent ? 'invalid' : 'pending';
      const seen = result.ok ? null : result.reason;
      await tx.authorizations.setOutcome(authz.id, { status, lastError: seen, validatedAt: result.ok ? now : null });
      await deps.events(
        tx,
        {
          kind: 'validation_attempted',
          accountId: order.accountId,
          orderId,
          validateType: order.validateType,
          name: authz.domain,
          result: status,
          seen,
        },
        now,
      );
    }
    const nothing = { issueJob: undefined, intent: undefined };
    if (refusal !== undefined) return { moved: false, completed: false, ...nothing };
    if (firstProblem !== undefined) {
      await tx.orders.update(orderId, { failReason: firstProblem, updatedAt: now });
      return { moved: false, completed: false, ...nothing };
    }
    // Validated: this attempt's job ends with the commit that records it (no commit of its
    // own): deleted, or turned into the order's issue job.
    const completed = turn !== undefined;
    if (awaitsCsr(order)) {
      if (turn) await tx.jobs.complete(turn.jobId, turn.owner);
      // An ACME order validated through its CAS view: it waits for its CSR (RFC 8555 §7.4 "ready").
      await tx.orders.moveOrder(
        orderId,
        { to: 'ready', from: ['domain_verify'] },
        { failReason: null, caaCheckedAt: now, updatedAt: now },
      );
      return { moved: false, completed, ...nothing };
    }
    const ok = await tx.orders.moveOrder(
      orderId,
      { to: 'process', from: ['domain_verify'] },
      {
        failReason: null,
        caaCheckedAt: now,
        // DV goes to issuance once validated; OV waits in process for an operator (review.ts).
        approvedAt: dv ? now : null,
        updatedAt: now,
      },
    );
    if (!ok || !dv) {
      if (turn) await tx.jobs.complete(turn.jobId, turn.owner);
      return { moved: ok, completed, ...nothing };
    }
    let leased: number | undefined;
    if (turn) {
      // The validate job's row becomes the issue job, still leased to this turn.
      if (await tx.jobs.handOver(turn.jobId, turn.owner, JOB_ISSUE, now, turn.leaseMs)) leased = turn.jobId;
      else {
        await tx.jobs.complete(turn.jobId, turn.owner);
        leased = await tx.jobs.enqueueLeased(JOB_ISSUE, orderId, turn.owner, now, turn.leaseMs);
      }
    }
    if (leased === undefined) {
      await tx.jobs.enqueue(JOB_ISSUE, orderId, now, now);
      return { moved: ok, completed, ...nothing };
    }
    // Phase 1 of issuance, with the approval: the order just left domain_verify, so it has no
    // certificate row yet (and the unique index on order_id would refuse a second).
    const intent = intentRow ? await tx.certificates.insert(intentRow) : undefined;
    return { moved: ok, issueJob: leased, completed, intent };
  });

  const settled = completed ? { completed: true } : {};
  if (refusal !== undefined) {
    await failOrder(deps, order, refusal, ['domain_verify']);
    return { kind: 'done' };
  }
  if (firstProblem !== undefined) return { kind: 'retry', reason: firstProblem };
  if (passed && issueJob !== undefined) {
    const next = { id: issueJob, kind: JOB_ISSUE, refId: orderId, attempts: 0 } as const;
    if (intent === undefined || turn === undefined || issuance === undefined) return { kind: 'done', ...settled, next };
    deps.afterIntentRecorded?.(orderId);
    try {
      await signRecordedIntent(issuance, orderId, intent, { ...turn, jobId: issueJob });
      return { kind: 'done', ...settled };
    } catch (e) {
      // The intent and its leased issue job are committed: the issue job, run next in this
      // slot, signs the same TBS (and retries with backoff if it fails again).
      deps.logger.log('warn', 'signing after validation failed; the issue job takes over', {
        orderId,
        error: String((e as Error)?.stack ?? e),
      });
      return { kind: 'done', ...settled, next };
    }
  }
  if (moved && dv) deps.wake();
  return { kind: 'done', ...settled };
}

function tryPrepareIntent(
  deps: Parameters<typeof prepareIntent>[0],
  order: Order,
  now: number,
): NewCertificate | undefined {
  try {
    return prepareIntent(deps, order, now);
  } catch {
    return undefined;
  }
}

/**
 * DescribeCertificateState on a waiting order asks for an attempt at `runAt` (now, unless
 * the order was nudged a moment ago): the customer may just have published the record.
 */
export async function requestValidationSoon(
  deps: UseCaseDeps<'clock' | 'wake', 'jobs'>,
  orderId: number,
  runAt: number,
): Promise<void> {
  const now = deps.clock.now();
  await deps.store.repos.jobs.pullEarlier(JOB_VALIDATE, orderId, runAt, now);
  deps.wake(runAt);
}
