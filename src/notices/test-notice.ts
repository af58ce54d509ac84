// A test notice: one webhook notice to a target the account's contacts name, queued in the
// outbox like any other (same delivery, signature, retries), so a customer can check that
// their receiver accepts certdesk's calls before a real event depends on it.
import { createHash } from 'node:crypto';
import { CertError } from '../domain/errors.js';
import type { Clock, RandomSource } from '../domain/ports.js';
import type { NoticeRow } from '../store/schema.js';
import type { StoreView } from '../store/views.js';
import { pendingNotice } from './event-sink.js';
import { JOB_NOTICE } from './settings.js';

export interface TestNoticeDeps {
  store: StoreView<'notices' | 'jobs'>;
  clock: Clock;
  random: RandomSource;
}

/** The webhook URLs the account's contacts name, each once. */
export async function accountWebhooks(deps: Pick<TestNoticeDeps, 'store'>, accountId: number): Promise<string[]> {
  const out = new Set<string>();
  for (const json of await deps.store.repos.notices.contactWebhooks(accountId)) {
    try {
      const list = JSON.parse(json) as unknown;
      if (Array.isArray(list)) for (const u of list) if (typeof u === 'string') out.add(u);
    } catch {
      // a malformed row names no target
    }
  }
  return [...out];
}

/** Queues a test notice to `url`, which must be one of the account's webhooks; the notice id. */
export async function queueTestNotice(deps: TestNoticeDeps, accountId: number, url: string): Promise<number> {
  if (!(await accountWebhooks(deps, accountId)).includes(url))
    throw new CertError('not_found', 'No contact of this account has that webhook.');
  const now = deps.clock.now();
  return deps.store.writeTransaction(async (repos) => {
    const id = await repos.notices.insertIfNew(
      pendingNotice(
        {
          account_id: accountId,
          order_id: null,
          certificate_id: null,
          event: 'test',
          channel: 'webhook',
          target: url,
          // Every request is a new occurrence: never a duplicate of an earlier test.
          dedupe_key: createHash('sha256')
            .update(`test\n${deps.random.bytes(16).toString('hex')}`)
            .digest('hex'),
          payload: JSON.stringify({ domains: [] }),
          due_at: now,
        },
        now,
      ),
    );
    if (id === undefined) throw new CertError('internal', 'The test notice was not queued.');
    await repos.jobs.enqueue(JOB_NOTICE, id, now, now);
    return id;
  });
}

/** The account's latest webhook notices, newest first: what the console shows as the last deliveries. */
export async function recentWebhookNotices(
  deps: Pick<TestNoticeDeps, 'store'>,
  accountId: number,
  limit = 20,
): Promise<NoticeRow[]> {
  return deps.store.repos.notices.recent(accountId, 'webhook', limit);
}
