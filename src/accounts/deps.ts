import type { Clock, RandomSource, SecretSealer } from '../domain/ports.js';
import type { Store } from '../store/store.js';

/** What the account use cases need; src/app builds it. */
export interface AccountDeps {
  store: Store;
  clock: Clock;
  random: RandomSource;
  sealer: SecretSealer;
}
