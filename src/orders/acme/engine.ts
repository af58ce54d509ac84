// The ACME use cases as the ACME front end holds them: bound to their deps by src/app, like
// orders/engine.ts (the front end never holds the store's writes). A request signed by an
// account is served by `actingAs` that account, so what it changes is audited as done by it.
import { actingUseCaseBinder, type ActingUseCases } from '../../domain/use-cases.js';
import type { AcmeDeps } from './deps.js';
import { changeAcmeAccountKey, newAcmeAccount, updateAcmeAccount } from './accounts.js';
import { newAcmeOrder, ownAcmeOrder } from './orders.js';
import { deactivateAcmeAuthorization, ownAuthorization, ownChallenge, startAcmeChallenge } from './challenges.js';
import { finalizeAcmeOrder } from './finalize.js';
import { acmeCertificateChain, acmeRevokeCertificate } from './certificates.js';

const ACME_USE_CASES = {
  newAcmeAccount,
  updateAcmeAccount,
  changeAcmeAccountKey,
  newAcmeOrder,
  ownAcmeOrder,
  ownAuthorization,
  ownChallenge,
  startAcmeChallenge,
  deactivateAcmeAuthorization,
  finalizeAcmeOrder,
  acmeCertificateChain,
  acmeRevokeCertificate,
};

/** `actingAs` serves one requester (an ACME account, or a certificate key's holder): audited as done by it. */
export type AcmeEngine = ActingUseCases<AcmeDeps, typeof ACME_USE_CASES>;

/** Bound once here; `actingAs` makes one small object per request (domain/use-cases.ts). */
export const createAcmeEngine: (deps: AcmeDeps) => AcmeEngine = actingUseCaseBinder(ACME_USE_CASES);
