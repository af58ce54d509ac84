// Many issued certificates at once, written straight into the store (multi-row INSERTs), for
// the mass revocation test and benchmark: issuing thousands through the API would take
// minutes and test nothing the revocation depends on. The rows are what issuance leaves
// (state 'issued', a CRL partition, an order in state 'certificate' for some), without the
// certificate's DER, which revocation, CRLs and OCSP never read.
import { randomBytes } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { Store } from '../../src/store/store.js';
import type { CertificatesTable, OrdersTable } from '../../src/store/schema.js';

export interface BulkCertificate {
  id: number;
  serial: string;
  orderId: number | null;
  shard: number;
}

const DAY = 86_400_000;
// SQLite binds at most 32,766 parameters per statement; a certificates row binds 28.
const ROWS_PER_INSERT = 500;

export async function insertIssuedCertificates(
  store: Store,
  opts: {
    accountId: number;
    issuerId: number;
    count: number;
    partitions: number;
    /** Every n-th certificate belongs to an order (in state 'certificate', of this plan); 0: none. */
    orderEvery: number;
    planId?: number;
    productCode?: string;
    contactEmail?: string;
    now: number;
  },
): Promise<BulkCertificate[]> {
  const out: BulkCertificate[] = [];
  for (let start = 0; start < opts.count; start += ROWS_PER_INSERT) {
    const n = Math.min(ROWS_PER_INSERT, opts.count - start);
    const idx = Array.from({ length: n }, (_, k) => start + k);
    const withOrder = idx.filter((i) => opts.orderEvery > 0 && i % opts.orderEvery === 0);
    const orderIds = new Map<number, number>();
    if (withOrder.length > 0) {
      const rows: Insertable<OrdersTable>[] = withOrder.map((i) => ({
        account_id: opts.accountId,
        plan_id: opts.planId!,
        product_code: opts.productCode ?? 'digicert-free-1-free',
        state: 'certificate',
        domains: `m${i}.bulk.example`,
        validate_type: 'DNS',
        key_algorithm: 'ecdsa-p256',
        spki: '',
        csr_der: null,
        key_sealed: null,
        contact_name: 'Bulk',
        contact_phone: '13900001111',
        contact_email: opts.contactEmail ?? '',
        company_id: null,
        company: null,
        tags: '[]',
        fail_reason: null,
        approved_at: opts.now,
        validation_deadline: opts.now + 30 * DAY,
        caa_checked_at: null,
        renewed_from: null,
        created_at: opts.now,
        updated_at: opts.now,
        deleted_at: null,
      }));
      const ids = await store.db.insertInto('orders').values(rows).returning(['id', 'domains']).execute();
      for (const r of ids) orderIds.set(Number(/^m(\d+)\./.exec(r.domains)![1]), Number(r.id));
      // Each live order holds a unit of its plan (migration 0016's counter, kept by orders.insert).
      await store.db
        .updateTable('plans')
        .set((eb) => ({ used_count: eb('used_count', '+', rows.length) }))
        .where('id', '=', opts.planId!)
        .execute();
    }
    const certs: Insertable<CertificatesTable>[] = idx.map((i) => {
      // 16 octets, top bit clear and first octet non-zero, as src/ca/serial.ts makes them.
      const b = randomBytes(16);
      b[0] = b[0]! & 0x7f || 1;
      const serial = b.toString('hex').toUpperCase();
      return {
        account_id: opts.accountId,
        order_id: orderIds.get(i) ?? null,
        source: 'issued',
        name: `bulk-${serial}`,
        serial,
        issuer_id: opts.issuerId,
        state: 'issued',
        tbs_der: null,
        cert_der: null,
        chain_pem: null,
        key_sealed: null,
        common_name: `m${i}.bulk.example`,
        sans: `m${i}.bulk.example`,
        issuer_cn: 'certdesk Issuing CA',
        not_before: opts.now - DAY,
        not_after: opts.now + 90 * DAY,
        sha1: '',
        sha256: '',
        org_name: '',
        country: '',
        province: '',
        city: '',
        revoked_at: null,
        revocation_reason: null,
        deleted_at: null,
        created_at: opts.now,
        crl_shard: opts.partitions > 1 ? i % opts.partitions : null,
      };
    });
    const ids = await store.db.insertInto('certificates').values(certs).returning(['id', 'serial']).execute();
    const bySerial = new Map(ids.map((r) => [r.serial, Number(r.id)]));
    certs.forEach((c) =>
      out.push({
        id: bySerial.get(c.serial)!,
        serial: c.serial,
        orderId: c.order_id ?? null,
        shard: c.crl_shard ?? -1,
      }),
    );
  }
  return out;
}
