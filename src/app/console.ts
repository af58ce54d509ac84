// The consoles' wiring: the htmx file read from node_modules once (served by the console
// itself, no CDN), the sign-in limiter (per process), and the sign-in link's URL.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ConsoleAssets } from '../api/console/shell.js';

let htmx: Buffer | undefined;

export function consoleAssets(): ConsoleAssets {
  htmx ??= readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'));
  return { htmx };
}

/** Sign-in attempts a client address may make per minute. */
export const SIGN_IN_ATTEMPTS_PER_MINUTE = 10;

/** The one-time sign-in link for a link token (`admin account console-link`, notice e-mails). */
export function consoleLinkUrl(base: string, token: string): string {
  return `${base}/console/sign-in/link?token=${token}`;
}
