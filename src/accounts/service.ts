// The account use cases as front ends see them: bound to their dependencies by src/app
// (domain/use-cases.ts), so a front end changes accounts only through them.
import { actingUseCaseBinder, type ActingUseCases } from '../domain/use-cases.js';
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

export type AccountService = ActingUseCases<AccountDeps, typeof ACCOUNT_USE_CASES>;

/** Bound once here; `actingAs` makes one small object per request (domain/use-cases.ts). */
export const createAccountService: (deps: AccountDeps) => AccountService = actingUseCaseBinder(ACCOUNT_USE_CASES);
