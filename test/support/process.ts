// A real `certdesk serve` process, for tests that kill it (SIGKILL) and start it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/certdesk.js', import.meta.url));
/** As bin/certdesk.js's shebang and `npm start` run it (its young-generation size). */
const NODE_FLAGS = ['--max-semi-space-size=64'];
/**
 * CERTDESK_BENCH_CPU_PROF=DIR (benches): each process writes a V8 CPU profile into DIR
 * (`node --cpu-prof`), and kill() stops it with SIGTERM so that the profile is written.
 */
const CPU_PROF_DIR = process.env.CERTDESK_BENCH_CPU_PROF;

export interface ServeProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the process has exited (by itself or killed). */
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

// Every process still running when the test file's process exits (a failed assertion, a test
// that threw before its cleanup) is killed with it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function spawnServe(
  args: string[],
  env: Record<string, string> = {},
  opts: { defaultAcmeListen?: boolean; startTimeoutMs?: number } = {},
): Promise<ServeProcess> {
  // Not the default ACME port 127.0.0.1:8443 unless asked: tests and benches run side by side.
  const acme = opts.defaultAcmeListen || args.includes('--acme-listen') ? [] : ['--acme-listen', '127.0.0.1:0'];
  const child = spawn(
    process.execPath,
    [
      ...NODE_FLAGS,
      ...(CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] : []),
      BIN,
      'serve',
      ...args,
      ...acme,
    ],
    {
      env: { ...process.env, CERTDESK_FROM_SOURCE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  live.add(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A process that did not start in time is killed, not left running: once started it would
      // hold its PostgreSQL connections and ports for good (a loaded machine starts slowly).
      child.kill('SIGKILL');
      reject(new Error(`certdesk did not start:\n${out}`));
    }, opts.startTimeoutMs ?? 30_000);
    const check = () => {
      if (out.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`certdesk exited before listening:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    exited,
    async kill() {
      if (CPU_PROF_DIR && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
