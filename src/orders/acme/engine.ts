// The ACME use cases as the ACME front end holds them: bound to their deps by src/app, like
// orders/engine.ts (the front end never holds the store's writes). A request signed by an
// account is served by `actingAs` that account, so what it changes is audited as done by it.
import { useCaseBinder, type Bound } from '../../domain/use-cases.js';
import type { Actor } from '../../domain/audit.js';
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

export type AcmeEngine = Bound<AcmeDeps, typeof ACME_USE_CASES> & {
  /** The same use cases for one requester (an ACME account, or a certificate key's holder): audited as done by `actor`. */
  actingAs(actor: Actor): AcmeEngine;
};

const bindAcmeUseCases = useCaseBinder<AcmeDeps, typeof ACME_USE_CASES>(ACME_USE_CASES);

export function createAcmeEngine(deps: AcmeDeps): AcmeEngine {
  // Made per request by actingAs: one small object (domain/use-cases.ts).
  const engine = bindAcmeUseCases(deps) as AcmeEngine;
  engine.actingAs = (actor) => createAcmeEngine({ ...deps, store: deps.store.actingAs(actor) });
  return engine;
}
