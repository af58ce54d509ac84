// Argument parsing shared by the commands: the configuration flags come from the config
// schema (only the scopes a command takes), each command adds its own.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CertError } from '../domain/errors.js';
import { OPTIONS, type OptionScope } from '../config/schema.js';

export type Flags = Record<string, string | boolean | string[] | undefined>;

export type OptionDefs = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes besides its own and its config scopes. */
export const COMMON_FLAGS: OptionDefs = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };

export function configFlagDefs(scopes: readonly OptionScope[]): OptionDefs {
  return Object.fromEntries(
    OPTIONS.filter((o) => scopes.includes(o.scope)).map((o) => [
      o.flag,
      { type: o.kind === 'bool' ? 'boolean' : 'string' } as const,
    ]),
  );
}

export function parseFlags(
  argv: string[],
  extra: OptionDefs,
  scopes: readonly OptionScope[] = [],
): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...configFlagDefs(scopes), ...extra, ...COMMON_FLAGS },
      allowPositionals: true,
      strict: true,
    });
    return { flags: values as Flags, positionals };
  } catch (e) {
    throw new CertError('invalid_parameter', (e as Error).message);
  }
}

/** The subset of flags the config schema knows. */
export function configFlags(flags: Flags): Record<string, string | boolean | undefined> {
  const out: Record<string, string | boolean | undefined> = {};
  for (const o of OPTIONS) {
    const v = flags[o.flag];
    if (typeof v === 'string' || typeof v === 'boolean') out[o.flag] = v;
  }
  return out;
}

export function requireFlag(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new CertError('missing_parameter', `--${name} is required.`);
  return v;
}

export function optionalFlag(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function intFlag(flags: Flags, name: string): number {
  const v = requireFlag(flags, name);
  if (!/^\d{1,15}$/.test(v)) throw new CertError('invalid_parameter', `--${name} must be a whole number.`);
  return Number(v);
}
