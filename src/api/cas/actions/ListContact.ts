// ListContact (CAS API reference, contact actions): the caller's contacts, newest first, with Keyword matching
// name, email or mobile. ShowSize defaults to 20.
import { defineAction } from '../action.js';

export default defineAction({
  reads: true,
  params: {
    Keyword: { type: 'string', maxLength: 128 },
    CurrentPage: { type: 'integer', min: 1, max: 100_000 },
    ShowSize: { type: 'integer', min: 1, max: 100 },
  },
  async run(ctx, p) {
    const page = p.CurrentPage ?? 1;
    const size = p.ShowSize ?? 20;
    const { total, rows } = await ctx.deps.accounts.listContacts(ctx.accountId, {
      keyword: p.Keyword,
      page,
      pageSize: size,
    });
    return {
      TotalCount: total,
      CurrentPage: page,
      ShowSize: size,
      Keyword: p.Keyword ?? '',
      ContactList: rows.map((c) => ({
        ContactId: c.id,
        Name: c.name,
        Email: c.email,
        Mobile: c.mobile,
        EmailStatus: c.email_status,
        MobileStatus: c.mobile_status,
        Webhooks: c.webhooks,
      })),
    };
  },
});
