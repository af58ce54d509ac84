// Who checkpoints the SQLite write-ahead log. By default SQLite does it itself: the commit that
// takes the WAL past 1000 pages runs a PASSIVE checkpoint before it returns (copying the
// pages into the database file and syncing both files), on the thread that committed
// (https://www.sqlite.org/wal.html#ckpt, https://www.sqlite.org/pragma.html#pragma_wal_autocheckpoint).
// For `serve`, that thread is the one that answers every request. A WalCheckpointer does the
// same work on a connection of its own (app/wal-checkpointer.ts: a worker thread), and the
// serving connection stops checkpointing (Store.moveWalCheckpoints).

/** A running checkpointer; stop() resolves once its connection is closed. */
export interface WalCheckpointer {
  stop(): Promise<void>;
}

/**
 * Starts a checkpointer for the database file at `path`. `onFailure` is called if it stops
 * on its own (its connection failed): the store then checkpoints on its connection again.
 */
export type StartWalCheckpointer = (path: string, onFailure: (error: Error) => void) => WalCheckpointer;

/** SQLite's own threshold (pages in the WAL), used again when a checkpointer fails. */
export const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;
