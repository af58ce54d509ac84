// The outcome of one validation check. `reason` is shown to the customer, so it must say
// what to fix and must never carry a stack trace or internal detail.

// `permanent` marks a refusal that retrying cannot change by itself (a CAA record naming
// another CA): the order fails at once instead of retrying until its validation window ends.
export type CheckResult = { ok: true } | { ok: false; reason: string; permanent?: boolean; problem?: FailureKind };

/**
 * What went wrong, for front ends that classify failures: the ACME challenge error types of
 * RFC 8555 §6.7 (`dns`, `connection`, `tls`, `unauthorized`, `caa`). Checks that only the
 * CAS path runs leave it out.
 */
export type FailureKind = 'dns' | 'connection' | 'tls' | 'unauthorized' | 'caa';

export const passed: CheckResult = Object.freeze({ ok: true });

export function failed(reason: string, permanent = false): CheckResult {
  return permanent ? { ok: false, reason, permanent } : { ok: false, reason };
}

/** A failure with its ACME problem type (see FailureKind). */
export function failedAs(problem: FailureKind, reason: string, permanent = false): CheckResult {
  return permanent ? { ok: false, reason, permanent, problem } : { ok: false, reason, problem };
}

/**
 * Lower-case a domain name and drop a trailing root dot. Names reach validation already
 * checked by the policy layer (A-labels for IDNs); this only makes comparisons stable.
 */
export function normalizeDomain(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Keep text from the customer's own servers printable and short before echoing it back. */
export function quoteForReason(text: string, max = 200): string {
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}...` : printable;
}
