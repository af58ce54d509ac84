// Side effects the core needs, passed in by src/app (docs/ARCHITECTURE.md, principle 3).
// Nothing here does I/O itself; tests hand in fakes with real behaviour (a settable clock,
// a seeded random source), never mocks of internals.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface RandomSource {
  bytes(n: number): Buffer;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  /** Whether `level` is written at all: lets a hot path skip building fields nobody reads (absent: assume it is). */
  enabled?(level: LogLevel): boolean;
}

/**
 * Seals secrets (AccessKey secrets, private keys) under the master key. `aad` binds a
 * sealed value to its owner (e.g. the AccessKeyId) so that a ciphertext copied to another
 * row does not open.
 */
export interface SecretSealer {
  seal(plain: Buffer, aad: string): string;
  open(sealed: string, aad: string): Buffer;
}

export const systemClock: Clock = { now: () => Date.now() };
