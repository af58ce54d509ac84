// The consoles' wiring: the htmx file read from node_modules once (served by the console
// itself, no CDN), the sign-in limiter (per process), and the sign-in link's URL.
import { createHmac } from 'node:crypto';
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

/**
 * The key of the ICS feed URLs' HMACs, derived from the operator token (a secret every
 * process of one installation shares): rotating the token changes every feed URL.
 */
export function consoleFeedKey(adminToken: string): Buffer {
  return createHmac('sha256', adminToken).update('certdesk console ICS feed').digest();
}
