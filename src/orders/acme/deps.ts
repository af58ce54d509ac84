// What the ACME use cases need: the order engine's dependencies, the store widened to ACME's
// own rows (store/repos/acme.ts), and the ACME settings src/app builds from config.
import { CertError } from '../../domain/errors.js';
import type { AcmeAccount, AcmeChallenge, AcmeProblemType } from '../../domain/acme.js';
import type { AcmeAuthorizationRecord } from '../../store/repos/acme.js';
import type { ActingView, StoreView } from '../../store/views.js';
import type { OrderDeps, OrderRepoReads, OrderRepoWrites } from '../deps.js';

export interface AcmeSettings {
  /** Pending authorizations and orders live this long (RFC 8555 §7.1.3, §7.1.4; 7 days like Let's Encrypt). */
  orderLifetimeMs: number;
  authorizationLifetimeMs: number;
  /** How many new orders an ACME account may create per window (RFC 8555 §6.6); 0 = no limit. */
  ordersPerWindow: number;
  rateWindowMs: number;
  /** The account URL of an account's URL token (dns-account-01 labels, RFC 8657 accounturi); '' when no ACME URL is configured. */
  accountUrl: (urlId: string) => string;
}

export const DEFAULT_ACME_SETTINGS: AcmeSettings = {
  orderLifetimeMs: 7 * 86_400_000,
  authorizationLifetimeMs: 7 * 86_400_000,
  ordersPerWindow: 0,
  rateWindowMs: 3_600_000,
  accountUrl: () => '',
};

export type AcmeRepoWrites = OrderRepoWrites | 'acme';
export type AcmeRepoReads = OrderRepoReads | 'accounts';

/**
 * Challenge validation started by the challenge POST itself (RFC 8555 §7.5.1: the client says
 * it is ready): the job is written already leased to this process (`owner`) and its attempt
 * runs at once beside the answer, not after a worker's next claim. Built in src/app; if the
 * process dies, the lease expires and a worker runs the job. Finalize leases its issue job
 * to the same owner and runs it in the request.
 */
export interface ChallengeStarter {
  readonly owner: string;
  readonly leaseMs: number;
  /** A slot for one more attempt run at once, or false when enough run (the job is then queued). */
  reserve(): boolean;
  /** Gives back a reserved slot that is not used. */
  release(): void;
  /**
   * Runs the job `jobId` leased to `owner` for challenge `challengeId` in a reserved slot,
   * which it gives back; `known`: the rows the challenge POST has just read and written.
   * Resolves with the challenge as the attempt settled it when that takes at most the
   * starter's answer wait, else (or when the attempt failed) with undefined at the end of
   * the wait; the attempt goes on either way.
   */
  run(jobId: number, challengeId: number, known?: KnownChallenge): Promise<AcmeChallenge | undefined>;
  /**
   * Hands a job leased to `owner` whose attempt in a request did not finish (finalize's
   * issuance) back to the queue with the worker's retry delay, and wakes the worker.
   */
  handBack(jobId: number, reason: string): Promise<void>;
}

/** A challenge just started, with its authorization and account, as the POST that started it holds them. */
export interface KnownChallenge {
  challenge: AcmeChallenge;
  /** `orderAuthorizations`: how many names its order has, when the read joined it (challengeWithAuthorization). */
  authz: AcmeAuthorizationRecord & { orderId: number; orderAuthorizations?: number };
  account: AcmeAccount;
}

export type AcmeDeps = Omit<OrderDeps, 'store'> & {
  store: ActingView<StoreView<AcmeRepoWrites, AcmeRepoReads>>;
  acme: AcmeSettings;
  /** Absent: every challenge job waits for the worker (deps.wake). */
  challenges?: ChallengeStarter;
};

/** A CertError whose ACME problem type is named (the kind still decides every other front's form). */
export function acmeError(
  kind: CertError['kind'],
  type: AcmeProblemType,
  message: string,
  extra: Record<string, unknown> = {},
): CertError {
  return new CertError(kind, message, { detail: { acme: type, ...extra } });
}
