// The account use cases as front ends see them: bound to their dependencies by src/app
// (domain/use-cases.ts), so a front end changes accounts only through them.
import { bindUseCases, type Bound } from '../domain/use-cases.js';
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
import { addContact, listContacts, removeContact } from './contacts.js';
import { addCompany, listCompanies, removeCompany } from './companies.js';
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
  addCompany,
  listCompanies,
  removeCompany,
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

export function createAccountService(deps: AccountDeps): AccountService {
  return {
    ...bindUseCases(deps, ACCOUNT_USE_CASES),
    actingAs: (actor) => createAccountService({ ...deps, store: deps.store.actingAs(actor) }),
  };
}
