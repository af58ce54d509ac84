// The ACME use cases as the ACME front end holds them: bound to their deps by src/app, like
// orders/engine.ts (the front end never holds the store's writes).
import { bindUseCases } from '../../domain/use-cases.js';
import type { AcmeDeps } from './deps.js';
import { changeAcmeAccountKey, newAcmeAccount, updateAcmeAccount } from './accounts.js';
import { newAcmeOrder, ownAcmeOrder } from './orders.js';
import { deactivateAcmeAuthorization, ownAuthorization, ownChallenge, startAcmeChallenge } from './challenges.js';
import { finalizeAcmeOrder } from './finalize.js';
import { acmeCertificateChain, acmeRevokeCertificate } from './certificates.js';

export function createAcmeEngine(deps: AcmeDeps) {
  return bindUseCases(deps, {
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
  });
}

export type AcmeEngine = ReturnType<typeof createAcmeEngine>;
