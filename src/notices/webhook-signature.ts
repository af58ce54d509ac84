// Webhook authenticity, Stripe-style: `X-Certdesk-Signature: t=<unix seconds>,v1=<hex>`
// where v1 = HMAC-SHA256(secret, t + "." + body). Signing the timestamp with the body lets a
// receiver refuse replays of an old call; the secret is per account, kept sealed at rest,
// created on first use, and shown to the operator by `certdesk admin account webhook-secret`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RandomSource, SecretSealer } from '../domain/ports.js';
import type { StoreView } from '../store/views.js';

export const SIGNATURE_HEADER = 'X-Certdesk-Signature';
export const NOTICE_ID_HEADER = 'X-Certdesk-Notice-Id';

const secretAad = (accountId: number) => `webhook-secret:${accountId}`;

/** The account's webhook signing secret (the HMAC key is this string as UTF-8), created on first use. */
export async function getOrCreateWebhookSecret(
  deps: { store: StoreView<'notices'>; sealer: SecretSealer; random: RandomSource; clock: { now(): number } },
  accountId: number,
): Promise<string> {
  const { repos } = deps.store;
  let sealed = await repos.notices.webhookSecret(accountId);
  if (sealed === undefined) {
    const fresh = `whsec_${deps.random.bytes(32).toString('base64url')}`;
    await repos.notices.insertWebhookSecret(
      accountId,
      deps.sealer.seal(Buffer.from(fresh, 'utf8'), secretAad(accountId)),
      deps.clock.now(),
    );
    // Read back: when two workers create it at once, both use the one that was stored first.
    sealed = await repos.notices.webhookSecret(accountId);
    if (sealed === undefined) throw new Error(`webhook secret of account ${accountId} was not stored`);
  }
  return deps.sealer.open(sealed, secretAad(accountId)).toString('utf8');
}

export function signWebhook(secret: string, unixSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/**
 * What a receiver does (also the documentation of the scheme): recompute v1 over the raw
 * body and compare in constant time, and refuse a timestamp older than `toleranceSeconds`.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const fields = new Map(header.split(',').map((kv) => kv.trim().split('=', 2) as [string, string]));
  const t = Number(fields.get('t'));
  const v1 = fields.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1))
    return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
