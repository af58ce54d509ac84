// Group commit for the statements every API request makes (the nonce insert, the rate-counter
// upsert): calls that arrive while a batch is in flight wait and go together as one
// multi-row statement, so N concurrent requests cost one round trip and one commit instead
// of N (PostgreSQL's own commit_delay idea, done by the client). A lone call on an idle
// process waits only for the next turn of the event loop, never for a timer.
//
// One member's fault never reaches another: when a batch statement fails, its members are
// run again one by one (each in a statement of its own), so a value the store refuses fails
// only the call that sent it. A failed statement changed nothing (a statement is atomic in
// both stores), so running a member again is safe. Callers still validate before batching
// (the CAS gateway refuses control characters at the edge); this is the second line.

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
 * a batch and must return one result per item, in the same order. If it throws for a batch
 * of several items, each item is run again alone and settles with its own result or error.
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

  async function runBatch(batch: Pending<I, O>[]): Promise<O[]> {
    const results = await run(batch.map((p) => p.item));
    if (results.length !== batch.length)
      throw new Error(`batch returned ${results.length} results for ${batch.length} items`);
    return results;
  }

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
    runBatch(batch)
      .then(
        (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
        async (e: unknown) => {
          if (batch.length === 1) return batch[0]!.reject(e);
          // Settle each member alone: only the faulty one fails.
          await Promise.all(
            batch.map((p) =>
              runBatch([p]).then(
                (r) => p.resolve(r[0]!),
                (err: unknown) => p.reject(err),
              ),
            ),
          );
        },
      )
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
