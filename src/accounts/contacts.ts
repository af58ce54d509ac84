// Contacts and company profiles: the "Information Management" data of the CAS console.
// CAS 2020-04-07 has no API to write them (CAS API reference, contact actions, §10.10), so operators add them;
// applications that omit a contact or company fall back to the most recently added one.
import { CertError } from '../domain/errors.js';
import type { ContactRow } from '../store/schema.js';
import type { AccountUseCaseDeps } from './deps.js';
import { requireAccount } from './accounts.js';

export interface ContactInput {
  name: string;
  email: string;
  mobile: string;
  webhooks?: string[];
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const MOBILE = /^[0-9+*() -]{3,32}$/;

function requireText(value: string | undefined, field: string, max: number): string {
  const v = (value ?? '').trim();
  if (v === '') throw new CertError('missing_parameter', `${field} is required.`);
  if (v.length > max) throw new CertError('invalid_parameter', `${field} is longer than ${max} characters.`);
  return v;
}

export function checkWebhookUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CertError('invalid_parameter', 'A webhook must be an absolute http(s) URL.');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new CertError('invalid_parameter', 'A webhook must be an http(s) URL.');
  if (u.username || u.password) throw new CertError('invalid_parameter', 'A webhook URL must not carry credentials.');
  return u.toString();
}

/** The checked fields of a contact: the same checks whether it is added or changed. */
function contactFields(c: ContactInput): { name: string; email: string; mobile: string; webhooks: string } {
  const name = requireText(c.name, 'Name', 64);
  const email = requireText(c.email, 'Email', 128);
  if (!EMAIL.test(email)) throw new CertError('invalid_parameter', 'Email is not a valid email address.');
  const mobile = requireText(c.mobile, 'Mobile', 32);
  if (!MOBILE.test(mobile)) throw new CertError('invalid_parameter', 'Mobile is not a valid phone number.');
  const webhooks = (c.webhooks ?? []).map(checkWebhookUrl);
  if (webhooks.length > 5) throw new CertError('invalid_parameter', 'At most 5 webhooks are allowed per contact.');
  return { name, email, mobile, webhooks: JSON.stringify(webhooks) };
}

export async function addContact(
  deps: AccountUseCaseDeps<'clock', 'contacts', 'accounts'>,
  accountId: number,
  c: ContactInput,
): Promise<ContactRow> {
  await requireAccount(deps, accountId);
  return deps.store.repos.contacts.add({
    account_id: accountId,
    ...contactFields(c),
    // No verification mail is sent by this release: status 0 means "not verified" (CAS API reference, contact actions: 1 = verified).
    email_status: 0,
    mobile_status: 0,
    created_at: deps.clock.now(),
  });
}

export async function updateContact(
  deps: AccountUseCaseDeps<never, 'contacts', 'accounts'>,
  accountId: number,
  contactId: number,
  c: ContactInput,
): Promise<ContactRow> {
  await requireAccount(deps, accountId);
  const row = await deps.store.repos.contacts.update(accountId, contactId, contactFields(c));
  if (!row) throw new CertError('not_found', `Contact ${contactId} does not exist.`);
  return row;
}

export async function removeContact(
  deps: AccountUseCaseDeps<never, 'contacts'>,
  accountId: number,
  contactId: number,
): Promise<void> {
  if (!(await deps.store.repos.contacts.remove(accountId, contactId)))
    throw new CertError('not_found', `Contact ${contactId} does not exist.`);
}

export async function listContacts(
  deps: AccountUseCaseDeps<never, never, 'contacts' | 'accounts'>,
  accountId: number,
  q: { keyword?: string; page: number; pageSize: number },
) {
  await requireAccount(deps, accountId);
  return deps.store.repos.contacts.page(accountId, {
    keyword: q.keyword,
    offset: (q.page - 1) * q.pageSize,
    limit: q.pageSize,
  });
}
