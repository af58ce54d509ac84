// The data directory holds the database, the master key and the admin token: only the
// account certdesk runs as may read it. The directory is made 0700 and every file in it
// 0600, also for installations created before this rule (their files were 0644 in a 0755
// directory). The SQLite database file is created 0600 before SQLite opens it: SQLite gives
// its -wal and -shm files the mode of the database file.
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (0700) if needed and takes group and other access away from it and its files. */
export function prepareDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  restrict(dir, PRIVATE_DIR_MODE);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isFile()) restrict(path, PRIVATE_FILE_MODE);
  }
}

/** Creates an empty file with mode 0600 unless it exists (then only its mode is narrowed). */
export function createPrivateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  restrict(path, PRIVATE_FILE_MODE);
}

function restrict(path: string, mode: number): void {
  const current = statSync(path).mode & 0o777;
  // Only ever narrows: a mode an operator made stricter stays.
  if ((current & ~mode) !== 0) chmodSync(path, current & mode);
}
