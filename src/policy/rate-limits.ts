// Per-account request limits of the CAS API, as data. The documented limits are
// the QPS the SDK's comments state per account (Alibaba Cloud CAS API reference (2020-04-07), API overview); every other action gets a
// default, so that no action is unlimited and one account cannot monopolize the service.

/** Limits count requests in fixed windows of this length (one second: the doc states QPS). */
export const RATE_WINDOW_MS = 1000;

/**
 * Requests per window for an action the doc states no limit for. High enough for a client
 * polling DescribeCertificateState for dozens of orders at once (bench/end-to-end.ts polls
 * 32 orders every 50 ms, about 640 requests a second from one account).
 */
export const DEFAULT_RATE_LIMIT = 1000;

/** The per-account QPS limits CAS documents (Alibaba Cloud CAS API reference (2020-04-07), API overview). */
export const DOCUMENTED_RATE_LIMITS: ReadonlyMap<string, number> = new Map([
  ['CancelOrderRequest', 100],
  ['GetUserCertificateDetail', 100],
  ['UploadUserCertificate', 100],
  ['DeleteUserCertificate', 100],
  ['CancelCertificateForPackageRequest', 10],
  ['ListUserCertificateOrder', 10],
  ['ListCert', 10],
  ['ListCertWarehouse', 10],
  ['GetCertWarehouseQuota', 10],
  ['Encrypt', 10],
  ['Decrypt', 10],
  ['DeletePCACert', 10],
]);

export interface RateLimitTable {
  /** Requests per window and account, by action. */
  readonly byAction: ReadonlyMap<string, number>;
  /** For every action not in `byAction`. */
  readonly defaultLimit: number;
}

export const CAS_RATE_LIMITS: RateLimitTable = Object.freeze({
  byAction: DOCUMENTED_RATE_LIMITS,
  defaultLimit: DEFAULT_RATE_LIMIT,
});

/** Requests one account may make to `action` per window. */
export function rateLimitFor(table: RateLimitTable, action: string): number {
  return table.byAction.get(action) ?? table.defaultLimit;
}
