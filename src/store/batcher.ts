// Group commit for the statements every API request makes (the nonce insert, the rate-counter
// upsert): calls that arrive while a batch is in flight wait and go together as one
// multi-row statement, so N concurrent requests cost one round trip and one commit instead
// of N (PostgreSQL's own commit_delay idea, done by the client). A lone call on an idle
// process waits only for the next turn of the event loop, never for a timer.

export interface BatcherOptions {
  /** Items per statement at most (bounded by the store's bind-parameter limits). */
  maxBatch?: number;
  /** Statements in flight at once; the rest queue behind them. */
  maxInFlight?: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

/**
 * Returns a function that submits one item and resolves with its own result. `run` receives
 * a batch and must return one result per item, in the same order; if it throws, every item
 * of that batch fails with the same error.
 */
export function createBatcher<I, O>(
  run: (items: I[]) => Promise<O[]>,
  opts: BatcherOptions = {},
): (item: I) => Promise<O> {
  const maxBatch = opts.maxBatch ?? 256;
  const maxInFlight = opts.maxInFlight ?? 2;
  let queue: Pending<I, O>[] = [];
  let inFlight = 0;
  let scheduled = false;

  function schedule(): void {
    if (scheduled || inFlight >= maxInFlight || queue.length === 0) return;
    scheduled = true;
    // setImmediate, not a microtask: requests read in the same event-loop turn join one batch.
    setImmediate(flush);
  }

  function flush(): void {
    scheduled = false;
    if (queue.length === 0) return;
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    inFlight += 1;
    let settled: Promise<O[]>;
    try {
      settled = run(batch.map((p) => p.item));
    } catch (e) {
      settled = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    settled
      .then((results) => {
        if (results.length !== batch.length)
          throw new Error(`batch returned ${results.length} results for ${batch.length} items`);
        batch.forEach((p, i) => p.resolve(results[i]!));
      })
      .catch((e) => batch.forEach((p) => p.reject(e)))
      .finally(() => {
        inFlight -= 1;
        schedule();
      });
    schedule();
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      schedule();
    });
}
