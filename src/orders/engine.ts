// The order engine as front ends see it (CAS actions, the operator API, relying-party
// endpoints, and the ACME and console front ends to come): its use cases bound to their
// dependencies by src/app. A front end reads and changes orders only through these; it
// holds no store with writes (docs/ARCHITECTURE.md, "Store views").
import { actingUseCaseBinder, type ActingUseCases } from '../domain/use-cases.js';
import type { OrderDeps } from './deps.js';
import { cancelOrder } from './cancel-order.js';
import { deleteOrder } from './delete-order.js';
import { describeOrder } from './describe-order.js';
import { describePackageState } from './describe-package-state.js';
import { listUserOrders } from './list-orders.js';
import { liveCheck } from './live-check.js';
import { listOrdersForOperator } from './operator-queries.js';
import { renewOrder } from './renew-order.js';
import { approveOrder, rejectOrder, resubmitOrder } from './review.js';
import { revokeWithKeyProof } from './revoke-by-key.js';
import { revokeBySerial, revokeOrderCertificate } from './revoke-certificate.js';
import { submitApplication } from './submit-application.js';
import { deleteUserCertificate, getUserCertificate, uploadUserCertificate } from './user-certificates.js';

const ORDER_USE_CASES = {
  submitApplication,
  renewOrder,
  cancelOrder,
  deleteOrder,
  describeOrder,
  describePackageState,
  listUserOrders,
  revokeOrderCertificate,
  revokeBySerial,
  revokeWithKeyProof,
  approveOrder,
  rejectOrder,
  resubmitOrder,
  listOrdersForOperator,
  getUserCertificate,
  uploadUserCertificate,
  deleteUserCertificate,
  liveCheck,
};

interface OrderEngineExtras {
  /** Issuing CA then root, PEM: what DescribeCertificateState appends to the leaf. */
  chainPem: OrderDeps['ca']['chainPem'];
}

export type OrderEngine = ActingUseCases<OrderDeps, typeof ORDER_USE_CASES, OrderEngineExtras>;

/** Bound once here; `actingAs` makes one small object per request (domain/use-cases.ts). */
export const createOrderEngine: (deps: OrderDeps) => OrderEngine = actingUseCaseBinder(
  ORDER_USE_CASES,
  (deps): OrderEngineExtras => ({ chainPem: deps.ca.chainPem }),
);
