// The account use cases as front ends see them: bound to their dependencies by src/app
// (domain/use-cases.ts), so a front end changes accounts only through them.
import { useCaseBinder, type Bound } from '../domain/use-cases.js';
import type { Actor } from '../domain/audit.js';
import type { AccountDeps } from './deps.js';
import { createAccount, listAccounts, requireAccount } from './accounts.js';
import {
  createAccessKey,
  deleteAccessKey,
  findAccessKeyCredential,
  listAccessKeys,
  setAccessKeyEnabled,
} from './access-keys.js';
import { grantPlan, listPlans } from './plans.js';
import { addContact, listContacts, removeContact, updateContact } from './contacts.js';
import { addCompany, listCompanies, removeCompany, updateCompany } from './companies.js';
import {
  createConsoleLink,
  endConsoleSession,
  resolveConsoleSession,
  signInWithAccessKey,
  signInWithLink,
  startOperatorSession,
} from './console-sessions.js';
import { createCsr, deleteCsr, getCsrDetail, listCsrs, updateCsrKey, uploadCsr } from './csrs.js';

const ACCOUNT_USE_CASES = {
  createAccount,
  listAccounts,
  requireAccount,
  createAccessKey,
  deleteAccessKey,
  findAccessKeyCredential,
  listAccessKeys,
  setAccessKeyEnabled,
  grantPlan,
  listPlans,
  addContact,
  listContacts,
  removeContact,
  updateContact,
  addCompany,
  listCompanies,
  removeCompany,
  updateCompany,
  createCsr,
  uploadCsr,
  updateCsrKey,
  deleteCsr,
  getCsrDetail,
  listCsrs,
  createConsoleLink,
  signInWithLink,
  signInWithAccessKey,
  startOperatorSession,
  resolveConsoleSession,
  endConsoleSession,
};

export type AccountService = Bound<AccountDeps, typeof ACCOUNT_USE_CASES> & {
  /** The same use cases, for one client of a front end: what they change is audited as done by `actor`. */
  actingAs(actor: Actor): AccountService;
};

const bindAccountUseCases = useCaseBinder<AccountDeps, typeof ACCOUNT_USE_CASES>(ACCOUNT_USE_CASES);

export function createAccountService(deps: AccountDeps): AccountService {
  // Made per request by actingAs: one small object (domain/use-cases.ts).
  const service = bindAccountUseCases(deps) as AccountService;
  service.actingAs = (actor) => createAccountService({ ...deps, store: deps.store.actingAs(actor) });
  return service;
}
