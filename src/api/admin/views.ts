// Wire shapes of the operator surface (principle 2: never a row straight to a client).
import type { CompanyRow, ContactRow, OrderRow } from '../../store/schema.js';

export function contactView(c: ContactRow) {
  return {
    ContactId: c.id,
    AccountId: c.account_id,
    Name: c.name,
    Email: c.email,
    Mobile: c.mobile,
    Webhooks: JSON.parse(c.webhooks) as string[],
    CreatedAt: c.created_at,
  };
}

export function companyView(c: CompanyRow) {
  return {
    CompanyId: c.id,
    AccountId: c.account_id,
    Name: c.name,
    Country: c.country,
    Province: c.province,
    City: c.city,
    Address: c.address,
    Phone: c.phone,
    CreatedAt: c.created_at,
  };
}

export function operatorOrderView(o: OrderRow) {
  return {
    OrderId: o.id,
    AccountId: o.account_id,
    ProductCode: o.product_code,
    State: o.state,
    Domains: o.domains.split(','),
    ValidateType: o.validate_type,
    Company: o.company ? (JSON.parse(o.company) as unknown) : null,
    AwaitingReview: o.state === 'process' && o.approved_at === null,
    FailReason: o.fail_reason,
    CreatedAt: o.created_at,
    UpdatedAt: o.updated_at,
  };
}
