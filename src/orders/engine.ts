// The order engine as front ends see it (CAS actions, the operator API, relying-party
// endpoints, and the ACME and console front ends to come): its use cases bound to their
// dependencies by src/app. A front end reads and changes orders only through these; it
// holds no store with writes (docs/ARCHITECTURE.md, "Store views").
import { bindUseCases, type Bound } from '../domain/use-cases.js';
import type { Actor } from '../domain/audit.js';
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

export type OrderEngine = Bound<OrderDeps, typeof ORDER_USE_CASES> & {
  /** Issuing CA then root, PEM: what DescribeCertificateState appends to the leaf. */
  chainPem: OrderDeps['ca']['chainPem'];
  /** The same use cases, for one client of a front end: what they change is audited as done by `actor`. */
  actingAs(actor: Actor): OrderEngine;
};

export function createOrderEngine(deps: OrderDeps): OrderEngine {
  return {
    ...bindUseCases(deps, ORDER_USE_CASES),
    chainPem: deps.ca.chainPem,
    actingAs: (actor) => createOrderEngine({ ...deps, store: deps.store.actingAs(actor) }),
  };
}
