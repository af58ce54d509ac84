// An application is one record moving through one state machine, written once, here.
// The state names are CAS's own (DescribeCertificateState.Type in the Alibaba Cloud CAS API
// reference), spelling included (`payed`). Deletion is not a state: it sets deleted_at.

/**
 * A row of the state table: the states an order may move to from this one (`to`); for a
 * state spliced in between existing ones, also the states it is reached from (`from`), so
 * that adding a state is one new row, e.g. ACME's "validated, waiting for the CSR":
 *   ready: { from: ['domain_verify'], to: ['process', 'verify_fail', 'payed'] },
 * (the compiler then asks only for its list status, LIST_STATUS_OF below).
 * `initial`: an order may be created in this state.
 */
interface StateRow<S> {
  readonly to: readonly S[];
  readonly from?: readonly S[];
  readonly initial?: true;
}

function stateTable<const T extends { [S in keyof T]: StateRow<keyof T> }>(table: T): T {
  return table;
}

/**
 * The order state machine (transitions of the Alibaba Cloud CAS API reference:
 * CreateCertificateForPackageRequest submits -> domain_verify; validation passed -> process;
 * issued -> certificate; validation or review failed -> verify_fail; CancelOrderRequest:
 * domain_verify|process -> payed, from which an order may be submitted again;
 * CancelCertificateForPackageRequest: certificate -> revoked). A renewal is created payed.
 */
export const ORDER_STATE_TABLE = stateTable({
  payed: { initial: true, to: ['domain_verify'] },
  domain_verify: { initial: true, to: ['process', 'verify_fail', 'payed'] },
  // ACME (RFC 8555 §7.1.6 "ready"): every name validated, waiting for the finalize CSR.
  ready: { from: ['domain_verify'], to: ['process', 'verify_fail', 'payed'] },
  process: { to: ['certificate', 'verify_fail', 'payed'] },
  certificate: { to: ['revoked'] },
  verify_fail: { to: [] },
  revoked: { to: [] },
});

type Table = typeof ORDER_STATE_TABLE;
export type OrderState = keyof Table;

type DeclaredTo<S extends OrderState> = Table[S]['to'][number];
type DeclaredFrom<S extends OrderState> = Table[S] extends { from: readonly (infer F)[] } ? F : never;
/** The states an order in `S` may move to, as the table says (both directions of declaration). */
export type NextState<S extends OrderState> =
  DeclaredTo<S> | { [X in OrderState]: S extends DeclaredFrom<X> ? X : never }[OrderState];
/** The states an order may be in when it moves to `T`. */
export type PreviousState<T extends OrderState> =
  DeclaredFrom<T> | { [X in OrderState]: T extends DeclaredTo<X> ? X : never }[OrderState];
export type InitialOrderState = { [S in OrderState]: Table[S] extends { initial: true } ? S : never }[OrderState];

export const ORDER_STATES = Object.keys(ORDER_STATE_TABLE) as OrderState[];

const EDGES: ReadonlySet<string> = new Set(
  ORDER_STATES.flatMap((s) => {
    const row: StateRow<OrderState> = ORDER_STATE_TABLE[s];
    return [...row.to.map((to) => `${s}>${to}`), ...(row.from ?? []).map((from) => `${from}>${s}`)];
  }),
);

export function canTransition(from: OrderState, to: OrderState): boolean {
  return EDGES.has(`${from}>${to}`);
}

/** Every state an order may leave to reach `to`: what a guarded move accepts as the current state. */
export function predecessorsOf<T extends OrderState>(to: T): PreviousState<T>[] {
  return ORDER_STATES.filter((s) => canTransition(s, to)) as PreviousState<T>[];
}

export const INITIAL_ORDER_STATES = ORDER_STATES.filter((s) => {
  const row: StateRow<OrderState> = ORDER_STATE_TABLE[s];
  return row.initial === true;
}) as InitialOrderState[];

export function isInitialOrderState(value: string): value is InitialOrderState {
  return (INITIAL_ORDER_STATES as readonly string[]).includes(value);
}

export function isOrderState(value: string): value is OrderState {
  return Object.hasOwn(ORDER_STATE_TABLE, value);
}

/** Deletion (DeleteCertificateRequest) takes only a failed or a pending order; it is no state of its own. */
export const DELETABLE_STATES = ['payed', 'verify_fail'] as const satisfies readonly OrderState[];

export function isDeletable(state: OrderState): boolean {
  return (DELETABLE_STATES as readonly OrderState[]).includes(state);
}

// ---- The order as the engine sees it (rows are decoded in one place: store/mappers.ts) ----

export type ValidateType = 'DNS' | 'FILE';

export interface OrderTag {
  Key: string;
  Value: string;
}

/** The company profile as it was when the order was made: the OV subject's fields. */
export interface CompanySnapshot {
  name: string;
  country: string;
  province: string;
  city: string;
}

export interface OrderContact {
  name: string;
  phone: string;
  email: string;
}

export interface Order {
  id: number;
  accountId: number;
  /** The plan whose unit this order holds (quota is accounted per plan, so expiry is exact). */
  planId: number;
  productCode: string;
  state: OrderState;
  /** Normalized domain names, in the order the customer gave them. */
  names: string[];
  validateType: ValidateType;
  /** ecdsa-p256 | rsa-2048 ... of the subscriber key. */
  keyAlgorithm: string;
  /** base64 SubjectPublicKeyInfo of the subscriber key. */
  spki: string;
  /** base64 DER of the customer's CSR, when one was given. */
  csrDer: string | null;
  /** The key certdesk generated (PKCS#8), sealed by orders/order-key.ts (rows before decision 0037: with orderKeyAad(id)). */
  keySealed: string | null;
  contact: OrderContact;
  companyId: number | null;
  company: CompanySnapshot | null;
  tags: OrderTag[];
  failReason: string | null;
  /** DV: when validation passed; OV: when an operator approved. */
  approvedAt: number | null;
  validationDeadline: number;
  caaCheckedAt: number | null;
  renewedFrom: number | null;
  /**
   * A lifetime cap shorter than the product's, in hours (an ACME profile such as `shortlived`);
   * null or absent: the product's validity.
   */
  validityHours?: number | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * An ACME order is created before its key is known (RFC 8555 §7.4: the CSR comes at
 * finalize): its spki is empty until then, and validation leads it to `ready`, not `process`.
 */
export function awaitsCsr(order: Pick<Order, 'spki'>): boolean {
  return order.spki === '';
}

/** What a write may change besides the state (the state moves only through the table). */
export type OrderChanges = Partial<
  Pick<
    Order,
    | 'failReason'
    | 'approvedAt'
    | 'validationDeadline'
    | 'caaCheckedAt'
    | 'keySealed'
    | 'updatedAt'
    // ACME finalize: the subscriber key and CSR arrive with the move ready -> process.
    | 'spki'
    | 'keyAlgorithm'
    | 'csrDer'
  >
>;

/** The associated data that binds a generated key's ciphertext to its order. */
export function orderKeyAad(orderId: number): string {
  return `order-key:${orderId}`;
}

export const AUTHORIZATION_STATUSES = ['pending', 'valid', 'invalid'] as const;
export type AuthorizationStatus = (typeof AUTHORIZATION_STATUSES)[number];

/** Domain control of one name of one order. */
export interface Authorization {
  id: number;
  orderId: number;
  domain: string;
  /** A fresh random value per order and domain (BR 3.2.2.4.7, 3.2.2.4.18 v2.2.6). */
  token: string;
  status: AuthorizationStatus;
  lastError: string | null;
  validatedAt: number | null;
}

// ---- What ListUserCertificateOrder shows ----

/** ListUserCertificateOrder.Status (Alibaba Cloud CAS API reference, ListUserCertificateOrder). */
export type ListStatus =
  'PAYED' | 'CHECKING' | 'CHECKED_FAIL' | 'ISSUED' | 'WILLEXPIRED' | 'EXPIRED' | 'NOTACTIVATED' | 'REVOKED';

export const LIST_STATUSES: readonly ListStatus[] = [
  'PAYED',
  'CHECKING',
  'CHECKED_FAIL',
  'ISSUED',
  'WILLEXPIRED',
  'EXPIRED',
  'NOTACTIVATED',
  'REVOKED',
];

/** A certificate is WILLEXPIRED in its last 30 days (ListUserCertificateOrder, Status). */
export const WILL_EXPIRE_MS = 30 * 86_400_000;

/** Status of an issued certificate, derived from dates rather than set by a timer. */
export function certificateStatus(
  notAfter: number,
  revokedAt: number | null,
  now: number,
): 'ISSUED' | 'WILLEXPIRED' | 'EXPIRED' | 'REVOKED' {
  if (revokedAt !== null) return 'REVOKED';
  if (now > notAfter) return 'EXPIRED';
  if (notAfter - now <= WILL_EXPIRE_MS) return 'WILLEXPIRED';
  return 'ISSUED';
}

/** The list status of an order in each state (an issued one's by its certificate's dates). */
const LIST_STATUS_OF: Record<OrderState, ListStatus | 'by-certificate'> = {
  payed: 'PAYED',
  domain_verify: 'CHECKING',
  ready: 'CHECKING',
  process: 'CHECKING',
  verify_fail: 'CHECKED_FAIL',
  revoked: 'REVOKED',
  certificate: 'by-certificate',
};

/** DescribeCertificateState.Type -> ListUserCertificateOrder.Status. */
export function orderListStatus(
  state: OrderState,
  cert: { notAfter: number; revokedAt: number | null } | undefined,
  now: number,
): ListStatus {
  const status = LIST_STATUS_OF[state];
  if (status !== 'by-certificate') return status;
  return cert ? certificateStatus(cert.notAfter, cert.revokedAt, now) : 'ISSUED';
}

/** The order states each list status covers (the inverse of LIST_STATUS_OF). */
export function orderStatesListedAs(status: ListStatus): OrderState[] {
  const dated = status === 'ISSUED' || status === 'WILLEXPIRED' || status === 'EXPIRED';
  return ORDER_STATES.filter((s) => LIST_STATUS_OF[s] === status || (dated && LIST_STATUS_OF[s] === 'by-certificate'));
}
