// Wire shapes of the operator surface (principle 2: never a row straight to a client).
import type { CompanyRow, ContactRow } from '../../store/schema.js';

export function contactView(c: ContactRow) {
  return { ContactId: c.id, AccountId: c.account_id, Name: c.name, Email: c.email, Mobile: c.mobile, Webhooks: JSON.parse(c.webhooks) as string[], CreatedAt: c.created_at };
}

export function companyView(c: CompanyRow) {
  return {
    CompanyId: c.id, AccountId: c.account_id, Name: c.name, Country: c.country, Province: c.province, City: c.city, Address: c.address, Phone: c.phone, CreatedAt: c.created_at,
  };
}
