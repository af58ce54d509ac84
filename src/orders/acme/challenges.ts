// ACME challenges (RFC 8555 §7.5.1, §8): the client says it is ready, the challenge turns
// processing and a job validates it from the worker (http-01, dns-01 in src/validation/), then
// CAA (RFC 8659). One failed challenge makes its authorization invalid, and the order invalid
// with its plan unit given back (§7.1.6; no retries). Every name valid: the order is ready.
import {
  ACME_ERROR_PREFIX,
  acmeAuthorizationStatus,
  keyAuthorization,
  type AcmeAccount,
  type AcmeChallenge,
  type AcmeProblemDoc,
} from '../../domain/acme.js';
import {
  checkCaa,
  checkDnsAccount01,
  checkHttp01Ip,
  checkTlsAlpn01,
  isIpIdentifier,
  type CheckResult,
} from '../../validation/index.js';
import { checkAcmeHttp01, type AcmeCheckResult } from '../../validation/acme-http-01.js';
import { checkAcmeDns01 } from '../../validation/acme-dns-01.js';
import type { AttemptOutcome, JobTurn } from '../../worker/job-protocol.js';
import type { AcmeAuthorizationRecord } from '../../store/repos/acme.js';
import { acmeError, type AcmeDeps, type KnownChallenge } from './deps.js';

export const JOB_ACME_CHALLENGE = 'acme-challenge';

export async function ownAuthorization(
  deps: AcmeDeps,
  account: AcmeAccount,
  urlId: string,
): Promise<AcmeAuthorizationRecord & { orderId: number }> {
  const rec = await deps.store.repos.acme.authorizationByUrlId(urlId);
  if (!rec) throw acmeError('not_found', 'malformed', 'No such authorization.');
  if (rec.link.acmeAccountId !== account.id)
    throw acmeError('unauthorized', 'unauthorized', 'The authorization belongs to another account.');
  return rec;
}

export async function ownChallenge(
  deps: AcmeDeps,
  account: AcmeAccount,
  urlId: string,
): Promise<Omit<KnownChallenge, 'account'>> {
  const found = await deps.store.repos.acme.challengeWithAuthorization(urlId);
  if (!found) throw acmeError('not_found', 'malformed', 'No such challenge.');
  if (found.authz.link.acmeAccountId !== account.id)
    throw acmeError('unauthorized', 'unauthorized', 'The challenge belongs to another account.');
  return found;
}

/** §7.5.1: the client is ready; validation starts. An already valid authorization answers unchanged. */
export async function startAcmeChallenge(
  deps: AcmeDeps,
  account: AcmeAccount,
  urlId: string,
): Promise<Omit<KnownChallenge, 'account'>> {
  const { challenge, authz } = await ownChallenge(deps, account, urlId);
  const now = deps.clock.now();
  const status = acmeAuthorizationStatus(authz.authorization, authz.link, now);
  if (status === 'valid' || challenge.status !== 'pending') return { challenge, authz };
  if (status !== 'pending')
    throw acmeError('illegal_state', 'malformed', `The authorization is ${status}; its challenges cannot be started.`);
  // The attempt starts at once in this process when a slot is free (deps.ts ChallengeStarter):
  // a queued job would wait for the worker's claim, one more store round trip per challenge.
  const starter = deps.challenges?.reserve() ? deps.challenges : undefined;
  let leasedJob: number | undefined;
  let started = false;
  try {
    await deps.store.writeTransaction(async (tx) => {
      if (!(await tx.acme.setChallenge(challenge.id, ['pending'], { status: 'processing' }))) return;
      started = true;
      if (starter)
        leasedJob = await tx.jobs.enqueueLeased(JOB_ACME_CHALLENGE, challenge.id, starter.owner, now, starter.leaseMs);
      else await tx.jobs.enqueue(JOB_ACME_CHALLENGE, challenge.id, now, now);
    });
  } catch (e) {
    starter?.release();
    throw e;
  }
  const processing: AcmeChallenge = { ...challenge, status: 'processing' };
  if (starter && leasedJob !== undefined) {
    // Answered with the outcome when the attempt ends within the starter's short wait (as
    // Boulder and Pebble answer finalize with the issued order): the client then reads the
    // challenge valid (lego 4.9 stops there, `checkChallengeStatus`) or its authorization
    // valid at the first poll, instead of waiting out a Retry-After and polling again.
    const settled = await starter.run(leasedJob, challenge.id, { challenge: processing, authz, account });
    if (settled) return { challenge: settled, authz };
  } else {
    starter?.release();
    deps.wake();
  }
  // Started here: the row is as read, now processing (reading it again was one more
  // statement per challenge). Another request moved it first: read what it made.
  if (started) return { challenge: processing, authz };
  return { challenge: (await deps.store.repos.acme.challengeById(challenge.id))!, authz };
}

function problemOf(result: Extract<AcmeCheckResult, { ok: false }>): AcmeProblemDoc {
  return {
    type: `${ACME_ERROR_PREFIX}${result.problem}`,
    detail: result.reason,
    status: result.problem === 'caa' ? 403 : 400,
  };
}

function fromCheck(r: CheckResult): AcmeCheckResult {
  return r.ok ? { ok: true } : { ok: false, problem: r.problem ?? 'unauthorized', reason: r.reason };
}

async function check(
  deps: AcmeDeps,
  challenge: AcmeChallenge,
  domain: string,
  thumbprint: string,
  accountUrlId: string,
): Promise<AcmeCheckResult> {
  const v = deps.validation;
  const keyAuth = keyAuthorization(challenge.token, thumbprint);
  switch (challenge.type) {
    case 'http-01':
      // RFC 8738 §4: an IP identifier is fetched at the address itself, no DNS lookup, Host the address.
      if (isIpIdentifier(domain))
        return fromCheck(
          await checkHttp01Ip(
            { fetcher: v.fetcher },
            {
              ip: domain,
              token: challenge.token,
              keyAuthorization: keyAuth,
              port: v.httpPort,
              allowPrivate: v.allowPrivateTargets,
            },
          ),
        );
      return checkAcmeHttp01(
        { resolver: v.resolver, fetcher: v.fetcher },
        {
          name: domain,
          token: challenge.token,
          keyAuthorization: keyAuth,
          port: v.httpPort,
          allowPrivate: v.allowPrivateTargets,
        },
      );
    case 'dns-01':
      return checkAcmeDns01({ resolver: v.resolver }, { name: domain, keyAuthorization: keyAuth });
    case 'tls-alpn-01':
      if (!v.tls) return { ok: false, problem: 'tls', reason: 'tls-alpn-01 is not configured on this server.' };
      return fromCheck(
        await checkTlsAlpn01(
          { resolver: v.resolver, tls: v.tls },
          {
            identifier: domain,
            keyAuthorization: keyAuth,
            port: v.tlsAlpnPort ?? 443,
            allowPrivate: v.allowPrivateTargets,
          },
        ),
      );
    case 'dns-account-01':
      return fromCheck(
        await checkDnsAccount01(
          { resolver: v.resolver },
          { domain, accountUrl: deps.acme.accountUrl(accountUrlId), keyAuthorization: keyAuth },
        ),
      );
  }
}

/**
 * The acme-challenge job as the worker runs it: one attempt, whose outcome is final (§8.2
 * allows no retries); the worker reads the rows (the challenge POST's own attempt passes
 * them to settleAcmeChallenge as `known`).
 */
export async function runAcmeChallenge(
  deps: AcmeDeps,
  challengeId: number,
  turn?: Pick<JobTurn, 'jobId' | 'owner'>,
): Promise<AttemptOutcome> {
  // With the worker's turn, the job row goes in the transaction that settles the challenge
  // (as the challenge POST's own attempt does), not in a statement and commit after it.
  const { completed } = await settleAcmeChallenge(deps, challengeId, undefined, turn);
  return { kind: 'done', completed };
}

/**
 * The attempt of runAcmeChallenge: `challenge` as this attempt wrote it (valid or invalid),
 * absent when it wrote nothing (not processing, or moved by another attempt). `turn`: the
 * job leased to this attempt, deleted in the transaction that settles the challenge
 * (`completed`), so it ends exactly when the outcome commits, without a commit of its own.
 */
export async function settleAcmeChallenge(
  deps: AcmeDeps,
  challengeId: number,
  known?: KnownChallenge,
  turn?: { jobId: number; owner: string },
): Promise<{ challenge?: AcmeChallenge; completed: boolean }> {
  const { repos } = deps.store;
  const challenge = known?.challenge ?? (await repos.acme.challengeById(challengeId));
  if (!challenge || challenge.status !== 'processing') return { completed: false };
  const authz: KnownChallenge['authz'] | undefined =
    known?.authz ?? (await repos.acme.authorizationById(challenge.acmeAuthorizationId));
  const account = known?.account ?? (authz && (await repos.acme.accountById(authz.link.acmeAccountId)));
  if (!authz || !account) return { completed: false };
  let result = await check(deps, challenge, authz.authorization.domain, account.thumbprint, account.urlId);
  if (result.ok) {
    // BR 3.2.2.8: CAA for each name once its control is proven (a wildcard's at its base name,
    // RFC 8659 §3). An IP address has none: BR 3.2.2.8 asks CAA for dNSNames only, and
    // checkCaa passes an address without a lookup.
    const caa = await checkCaa(
      { resolver: deps.validation.resolver },
      {
        name: authz.authorization.domain,
        issuerDomain: deps.validation.caaIdentity,
        // RFC 8657: accounturi and validationmethods restrict which account and method may issue.
        ...(deps.acme.accountUrl(account.urlId) ? { accountUri: deps.acme.accountUrl(account.urlId) } : {}),
        method: challenge.type,
      },
    );
    if (!caa.ok) result = { ok: false, problem: caa.problem === 'dns' ? 'dns' : 'caa', reason: caa.reason };
  }
  const now = deps.clock.now();
  const settled = await deps.store.writeTransaction(async (tx): Promise<AcmeChallenge | undefined> => {
    if (turn) await tx.jobs.complete(turn.jobId, turn.owner);
    if (result.ok) {
      if (
        !(await tx.acme.setChallenge(challenge.id, ['processing'], { status: 'valid', validatedAt: now, error: null }))
      )
        return undefined;
      await tx.authorizations.setOutcome(authz.authorization.id, {
        status: 'valid',
        lastError: null,
        validatedAt: now,
      });
      // A one-name order (the read that started the attempt counted its names): this is its
      // only authorization, so reading them all was one more statement per order.
      const all =
        authz.orderAuthorizations === 1
          ? [{ ...authz, authorization: { ...authz.authorization, status: 'valid' as const, validatedAt: now } }]
          : await tx.acme.authorizationsForOrder(authz.orderId);
      if (all.every((a) => a.authorization.status === 'valid' || a.authorization.id === authz.authorization.id)) {
        // CAA was checked for each name just now, unless a name's validation was reused (the
        // order, read only when it has other names, says since when).
        const others = all.filter((a) => a.authorization.id !== authz.authorization.id);
        const since = others.length > 0 ? (await tx.acme.orderByOrderId(authz.orderId))?.link.createdAt : undefined;
        const fresh = others.every((a) => since !== undefined && (a.authorization.validatedAt ?? 0) >= since);
        await tx.orders.moveOrder(
          authz.orderId,
          { to: 'ready', from: ['domain_verify'] },
          {
            failReason: null,
            updatedAt: now,
            ...(fresh ? { caaCheckedAt: Math.min(now, ...all.map((a) => a.authorization.validatedAt ?? now)) } : {}),
          },
        );
      }
      return { ...challenge, status: 'valid', validatedAt: now, error: null };
    }
    const error = problemOf(result);
    if (!(await tx.acme.setChallenge(challenge.id, ['processing'], { status: 'invalid', error }))) return undefined;
    await tx.authorizations.setOutcome(authz.authorization.id, {
      status: 'invalid',
      lastError: result.reason,
      validatedAt: null,
    });
    const order = await tx.acme.orderByOrderId(authz.orderId);
    if (!order) return { ...challenge, status: 'invalid', error };
    await tx.acme.setOrderError(order.link.id, error);
    if (
      await tx.orders.moveOrder(
        authz.orderId,
        { to: 'verify_fail', from: ['domain_verify'] },
        { failReason: result.reason, updatedAt: now },
      )
    ) {
      await deps.events(
        tx,
        {
          kind: 'verification_failed',
          accountId: order.order.accountId,
          orderId: authz.orderId,
          reason: result.reason,
        },
        now,
      );
      // The unit goes back: an ACME order that ends invalid spends nothing.
      await tx.orders.markDeleted(authz.orderId, now);
    }
    return { ...challenge, status: 'invalid', error };
  });
  deps.logger.log('info', 'acme challenge validated', { challengeId, type: challenge.type, ok: result.ok });
  return { ...(settled ? { challenge: settled } : {}), completed: turn !== undefined };
}

/** §7.5.2: the owner deactivates a pending or valid authorization; its order becomes invalid. */
export async function deactivateAcmeAuthorization(
  deps: AcmeDeps,
  account: AcmeAccount,
  urlId: string,
): Promise<AcmeAuthorizationRecord & { orderId: number }> {
  const authz = await ownAuthorization(deps, account, urlId);
  const now = deps.clock.now();
  const status = acmeAuthorizationStatus(authz.authorization, authz.link, now);
  if (status !== 'pending' && status !== 'valid')
    throw acmeError('illegal_state', 'malformed', `An authorization that is ${status} cannot be deactivated.`);
  await deps.store.writeTransaction(async (tx) => {
    await tx.acme.deactivateAuthorization(authz.link.id, now);
    const order = await tx.acme.orderByOrderId(authz.orderId);
    if (
      order &&
      (await tx.orders.moveOrder(
        authz.orderId,
        { to: 'verify_fail', from: ['domain_verify', 'ready'] },
        { failReason: 'An authorization of the order was deactivated.', updatedAt: now },
      ))
    )
      await tx.orders.markDeleted(authz.orderId, now);
  });
  return (await deps.store.repos.acme.authorizationByUrlId(urlId))!;
}
