// Server-side parameter checking: the SDK validates nothing (its validate() is empty, CAS
// doc §5 and §10.11), so every action declares its parameters and this module enforces
// them. Empty strings count as absent: real clients send `Username=` for unset optional
// fields (Alibaba Cloud API reference, request syntax and V3 signature (ACS3-HMAC-SHA256), §10.7).
import { CertError } from '../../domain/errors.js';
import { checkTextValue } from './text-params.js';

export type ParamSpec =
  | {
      type: 'string';
      required?: boolean;
      maxLength?: number;
      oneOf?: readonly string[];
      /** Keeps line breaks and tabs (PEM); every other string is one line (text-params.ts). */
      multiline?: boolean;
    }
  | { type: 'integer'; required?: boolean; min?: number; max?: number }
  | { type: 'boolean'; required?: boolean };

export type ParamSpecs = Record<string, ParamSpec>;

type ValueOf<S extends ParamSpec> = S extends { type: 'integer' }
  ? number
  : S extends { type: 'boolean' }
    ? boolean
    : string;

export type DecodedParams<S extends ParamSpecs> = {
  [K in keyof S as S[K] extends { required: true } ? K : never]: ValueOf<S[K]>;
} & {
  [K in keyof S as S[K] extends { required: true } ? never : K]?: ValueOf<S[K]>;
};

export interface Tag {
  Key: string;
  Value: string;
}

const DIGITS = /^\d{1,16}$/;

function decodeOne(name: string, spec: ParamSpec, raw: string): string | number | boolean {
  switch (spec.type) {
    case 'string': {
      const max = spec.maxLength ?? 1024;
      if (raw.length > max)
        throw new CertError('invalid_parameter', `The parameter ${name} is longer than ${max} characters.`);
      checkTextValue(name, raw, spec.multiline === true);
      if (spec.oneOf && !spec.oneOf.includes(raw)) {
        throw new CertError('invalid_parameter', `The parameter ${name} must be one of ${spec.oneOf.join(', ')}.`);
      }
      return raw;
    }
    case 'integer': {
      if (!DIGITS.test(raw)) throw new CertError('invalid_parameter', `The parameter ${name} must be a whole number.`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw new CertError('invalid_parameter', `The parameter ${name} is too large.`);
      const min = spec.min ?? 0;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (n < min || n > max)
        throw new CertError('invalid_parameter', `The parameter ${name} must be between ${min} and ${max}.`);
      return n;
    }
    case 'boolean': {
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new CertError('invalid_parameter', `The parameter ${name} must be true or false.`);
    }
  }
}

export function decodeParams<S extends ParamSpecs>(specs: S, params: ReadonlyMap<string, string>): DecodedParams<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = params.get(name);
    if (raw === undefined || raw === '') {
      if (spec.required) throw new CertError('missing_parameter', `The parameter ${name} is required.`);
      continue;
    }
    out[name] = decodeOne(name, spec, raw);
  }
  return out as DecodedParams<S>;
}

const TAG_PARAM = /^Tags\.(\d+)\.(Key|Value)$/;
export const MAX_TAGS = 20;

/** `Tags.N.Key` / `Tags.N.Value`, N = 1..20, flattened 1-based on the wire (Alibaba Cloud API reference, request syntax and V3 signature (ACS3-HMAC-SHA256)). */
export function decodeTags(params: ReadonlyMap<string, string>): Tag[] {
  const byIndex = new Map<number, Partial<Tag>>();
  for (const [name, value] of params) {
    const m = TAG_PARAM.exec(name);
    if (!m) continue;
    const n = Number(m[1]);
    if (n < 1 || n > MAX_TAGS) throw new CertError('invalid_parameter', `Tags are numbered 1 to ${MAX_TAGS}.`);
    const t = byIndex.get(n) ?? {};
    t[m[2] as 'Key' | 'Value'] = value;
    byIndex.set(n, t);
  }
  const tags: Tag[] = [];
  for (const n of [...byIndex.keys()].sort((a, b) => a - b)) {
    const t = byIndex.get(n)!;
    if (!t.Key) throw new CertError('missing_parameter', `The parameter Tags.${n}.Key is required.`);
    if (t.Key.length > 128 || (t.Value ?? '').length > 128)
      throw new CertError('invalid_parameter', 'A tag key or value is longer than 128 characters.');
    checkTextValue(`Tags.${n}.Key`, t.Key, false);
    checkTextValue(`Tags.${n}.Value`, t.Value ?? '', false);
    tags.push({ Key: t.Key, Value: t.Value ?? '' });
  }
  return tags;
}

/** Paging shared by the List* actions. */
export function pageOf(
  p: { CurrentPage?: number; ShowSize?: number },
  defaultSize: number,
): { page: number; size: number } {
  return { page: p.CurrentPage ?? 1, size: p.ShowSize ?? defaultSize };
}
