import type { Clock, RandomSource, SecretSealer } from '../domain/ports.js';
import type { ActingView, StoreView } from '../store/views.js';

/** The tables the account use cases write (`audit`: the operator's actions on accounts, keys and plans). */
export type AccountRepos =
  'accounts' | 'accessKeys' | 'plans' | 'contacts' | 'companies' | 'csrs' | 'audit' | 'consoleSessions';

/** What the account use cases need; src/app builds it. */
export interface AccountDeps {
  /** Acting for whoever opened it; AccountService.actingAs hands it to a front end's client. */
  store: ActingView<StoreView<AccountRepos>>;
  clock: Clock;
  random: RandomSource;
  sealer: SecretSealer;
}

/** What one account use case needs: some of AccountDeps, the store narrowed to what it writes (`W`) and reads (`R`). */
export type AccountUseCaseDeps<
  K extends Exclude<keyof AccountDeps, 'store'>,
  W extends AccountRepos,
  R extends AccountRepos = never,
> = Pick<AccountDeps, K> & { store: StoreView<W, R> };
