// AccessKey policies: a key may carry a list of RAM-style action patterns
// (`yundun-cert:Describe*`, Alibaba Cloud CAS API reference (2020-04-07), API overview: RAM action names are `yundun-cert:<Action>`).
// A call whose action matches none of them is refused with Forbidden.RAM.
import { CertError } from '../domain/errors.js';

export const RAM_SERVICE = 'yundun-cert';

const PATTERN = /^(?:yundun-cert:)?[A-Za-z*][A-Za-z0-9*]*$/;

/** Parses `a,b` or a JSON array into normalized `yundun-cert:X` patterns. */
export function parseActionPolicy(text: string): string[] {
  const trimmed = text.trim();
  let items: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      items = JSON.parse(trimmed) as unknown[];
    } catch {
      throw new CertError('invalid_parameter', 'The policy is not a valid JSON array of action patterns.');
    }
    if (!Array.isArray(items))
      throw new CertError('invalid_parameter', 'The policy must be an array of action patterns.');
  } else {
    items = trimmed.split(',');
  }
  const patterns = items.map((i) => (typeof i === 'string' ? i.trim() : '')).filter((i) => i !== '');
  if (patterns.length === 0) throw new CertError('invalid_parameter', 'The policy names no action.');
  for (const p of patterns) {
    if (!PATTERN.test(p)) {
      throw new CertError(
        'invalid_parameter',
        `"${p.slice(0, 80)}" is not an action pattern like ${RAM_SERVICE}:Describe*.`,
      );
    }
  }
  return patterns.map((p) => (p.startsWith(`${RAM_SERVICE}:`) ? p : `${RAM_SERVICE}:${p}`));
}

const compiled = new Map<string, RegExp>();

function toRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    compiled.set(pattern, re);
  }
  return re;
}

/** The RAM action name of a CAS action. */
export function ramActionName(action: string): string {
  return `${RAM_SERVICE}:${action}`;
}

/** `null` policy = the key may call every action. */
export function policyAllows(policy: readonly string[] | null, action: string): boolean {
  if (policy === null) return true;
  const name = ramActionName(action);
  return policy.some((p) => toRegExp(p).test(name));
}
