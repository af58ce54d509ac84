// Structured JSON logs, one line per event. Callers pass fields; secrets are kept out
// at the source (redact.ts for request parameters), never scrubbed here.
import type { Logger, LogLevel } from '../domain/ports.js';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createJsonLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => process.stdout.write(l),
): Logger {
  const min = RANK[level];
  return {
    log(lvl, msg, fields) {
      if (RANK[lvl] < min) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields })}\n`);
    },
    enabled: (lvl) => RANK[lvl] >= min,
  };
}

export const silentLogger: Logger = { log() {}, enabled: () => false };
