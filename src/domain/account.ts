// Account-side objects the repositories decode rows into (store/mappers.ts), as orders are.

/** An AccessKey as its owner and the operator see it: never its secret. */
export interface AccessKeyInfo {
  accessKeyId: string;
  accountId: number;
  enabled: boolean;
  /** Allowed RAM-style actions, or null for every action (policy/action-policy.ts). */
  policy: string[] | null;
  createdAt: number;
}
