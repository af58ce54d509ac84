// Lets a DescribeCertificateState that asked for a validation attempt answer with that
// attempt's outcome (a short long-poll): the customer who publishes the record and asks again
// hears "issued" in that answer, instead of polling for it. The worker of this process says
// when an order's validate or issue job settled; without one here (--role api, `certdesk
// admin`), waiting returns at once. Per process, in memory, like the nudges it follows.
import type { AttemptWatch } from '../orders/deps.js';

export interface LocalAttemptWatch extends AttemptWatch {
  /** A worker runs in this process: from now on `settled` is called, and waiting is worth it. */
  start(): void;
  /** The order's job settled (done or to be retried): its waiters answer now. */
  settled(orderId: number): void;
}

export function createAttemptWatch(): LocalAttemptWatch {
  const waiters = new Map<number, Set<() => void>>();
  let live = false;
  return {
    wait(orderId, ms) {
      if (!live || ms <= 0) return Promise.resolve();
      return new Promise((resolve) => {
        let set = waiters.get(orderId);
        if (set === undefined) waiters.set(orderId, (set = new Set()));
        const own = set;
        const done = () => {
          clearTimeout(timer);
          own.delete(done);
          if (own.size === 0 && waiters.get(orderId) === own) waiters.delete(orderId);
          resolve();
        };
        const timer = setTimeout(done, ms);
        own.add(done);
      });
    },
    start() {
      live = true;
    },
    settled(orderId) {
      const set = waiters.get(orderId);
      if (set !== undefined) for (const done of [...set]) done();
    },
  };
}
