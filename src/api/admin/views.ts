// Wire shapes of the operator surface (principle 2: never a row straight to a client).
import type { Order } from '../../domain/order.js';
import type { CompanyRow, ContactRow } from '../../store/schema.js';

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

export function operatorOrderView(o: Order) {
  return {
    OrderId: o.id,
    AccountId: o.accountId,
    ProductCode: o.productCode,
    State: o.state,
    Domains: o.names,
    ValidateType: o.validateType,
    Company: o.company,
    AwaitingReview: o.state === 'process' && o.approvedAt === null,
    FailReason: o.failReason,
    CreatedAt: o.createdAt,
    UpdatedAt: o.updatedAt,
  };
}
