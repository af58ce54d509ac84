// One validation attempt for an order waiting in domain_verify (issue 3, Domain control):
// each pending name is checked by its method (DNS TXT at _dnsauth.<base>, or the HTTP
// file), then CAA (RFC 8659) for that name. All names valid: the order moves to process
// (DV: approved for issuance at once; OV: waits for an operator). A CAA record naming
// another CA ends the order; any other failure is kept as the reason and retried with
// backoff until the validation window (30 days) closes.
import type { AuthorizationRow, OrderRow } from '../store/schema.js';
import { checkCaa, checkDnsTxt, checkHttpFile, type CheckResult } from '../validation/index.js';
import { getProduct } from '../policy/products.js';
import type { OrderDeps } from './deps.js';
import { JOB_ISSUE, JOB_VALIDATE } from './jobs.js';

export type AttemptOutcome = { kind: 'done' } | { kind: 'retry'; reason: string };

async function checkControl(deps: OrderDeps, order: OrderRow, authz: AuthorizationRow): Promise<CheckResult> {
  const v = deps.validation;
  if (order.validate_type === 'FILE') {
    return checkHttpFile(
      { resolver: v.resolver, fetcher: v.fetcher },
      { domain: authz.domain, expected: authz.token, port: v.httpPort, allowPrivate: v.allowPrivateTargets },
    );
  }
  return checkDnsTxt({ resolver: v.resolver }, { domain: authz.domain, expected: authz.token });
}

/** domain_verify|process -> verify_fail with the reason kept and announced. */
export async function failOrder(
  deps: OrderDeps,
  order: OrderRow,
  reason: string,
  from: readonly string[] = ['domain_verify'],
): Promise<void> {
  const now = deps.clock.now();
  await deps.store.writeTransaction(async (repos) => {
    if (await repos.orders.transition(order.id, from, { state: 'verify_fail', fail_reason: reason, updated_at: now })) {
      await deps.events(
        repos,
        { kind: 'verification_failed', accountId: order.account_id, orderId: order.id, reason },
        now,
      );
    }
  });
  deps.logger.log('info', 'order failed validation', { orderId: order.id, reason });
}

export async function runValidationAttempt(deps: OrderDeps, orderId: number): Promise<AttemptOutcome> {
  const { repos } = deps.store;
  const order = await repos.orders.getById(orderId);
  if (!order || order.state !== 'domain_verify') return { kind: 'done' }; // cancelled, deleted or moved on meanwhile
  const now = deps.clock.now();
  const authzs = await repos.authorizations.forOrder(orderId);

  if (now > order.validation_deadline) {
    const last = authzs.find((a) => a.status !== 'valid')?.last_error ?? 'no attempt succeeded';
    await failOrder(deps, order, `Domain validation did not succeed within 30 days: ${last}`);
    return { kind: 'done' };
  }

  let firstProblem: string | undefined;
  for (const authz of authzs) {
    if (authz.status === 'valid') continue;
    const control = await checkControl(deps, order, authz);
    // CAA is checked for every name, once its control is proven (BR §3.2.2.8).
    const result = control.ok
      ? await checkCaa(
          { resolver: deps.validation.resolver },
          { name: authz.domain, issuerDomain: deps.validation.caaIdentity },
        )
      : control;
    if (result.ok) {
      await repos.authorizations.setOutcome(authz.id, { status: 'valid', lastError: null, validatedAt: now });
      continue;
    }
    if (result.permanent) {
      await repos.authorizations.setOutcome(authz.id, {
        status: 'invalid',
        lastError: result.reason,
        validatedAt: null,
      });
      await failOrder(deps, order, result.reason);
      return { kind: 'done' };
    }
    await repos.authorizations.setOutcome(authz.id, { status: 'pending', lastError: result.reason, validatedAt: null });
    firstProblem ??= result.reason;
  }

  if (firstProblem !== undefined) {
    await repos.orders.update(orderId, { fail_reason: firstProblem, updated_at: now });
    return { kind: 'retry', reason: firstProblem };
  }

  const dv = getProduct(order.product_code).validation === 'DV';
  const moved = await deps.store.writeTransaction(async (tx) => {
    const ok = await tx.orders.transition(orderId, ['domain_verify'], {
      state: 'process',
      fail_reason: null,
      caa_checked_at: now,
      // DV goes to issuance once validated; OV waits in process for an operator (issue 3, Review).
      approved_at: dv ? now : null,
      updated_at: now,
    });
    if (ok && dv) await tx.jobs.enqueue(JOB_ISSUE, orderId, now, now);
    return ok;
  });
  if (moved && dv) deps.wake();
  return { kind: 'done' };
}

/** DescribeCertificateState on a waiting order asks for an attempt now: the customer just published the record. */
export async function requestValidationSoon(deps: OrderDeps, orderId: number): Promise<void> {
  const now = deps.clock.now();
  await deps.store.repos.jobs.enqueue(JOB_VALIDATE, orderId, now, now);
  deps.wake();
}
