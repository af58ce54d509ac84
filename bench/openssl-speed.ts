// The baseline every figure of `npm run bench` is divided by: `openssl speed ecdsap256`,
// run in the same bench so that the ratios cancel out how fast (and how busy) the machine is.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OpensslSpeed {
  signsPerSecond: number;
  verifiesPerSecond: number;
  processes: number;
  version: string;
}

// The summary line of `openssl speed ecdsap256` (OpenSSL 1.1 and 3.x, with or without -multi):
//   "                              sign    verify    sign/s verify/s"
//   " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  34686.9  10343.7"
// With -multi the sign/s and verify/s columns are the sums over the processes.
const SUMMARY = /^\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)\s*$/m;

export function parseOpensslSpeed(output: string): { signsPerSecond: number; verifiesPerSecond: number } {
  const m = SUMMARY.exec(output);
  if (!m) throw new Error('no "256 bits ecdsa (nistp256)" summary line in the openssl speed output');
  return { signsPerSecond: Number(m[1]), verifiesPerSecond: Number(m[2]) };
}

/** Runs `openssl speed -seconds S [-multi N] ecdsap256` (it times signing, then verifying). */
export async function opensslSpeed(seconds: number, processes = 1): Promise<OpensslSpeed> {
  const args = [
    'speed',
    '-seconds',
    String(seconds),
    ...(processes > 1 ? ['-multi', String(processes)] : []),
    'ecdsap256',
  ];
  let stdout: string;
  try {
    ({ stdout } = await run('openssl', args, { maxBuffer: 1 << 20 }));
  } catch (e) {
    throw new Error(
      `\`openssl ${args.join(' ')}\` failed (is the openssl command installed?): ${(e as Error).message}`,
      { cause: e },
    );
  }
  const v = /^version:\s*(.+)$/m.exec(stdout)?.[1];
  const version = v !== undefined ? `OpenSSL ${v.trim()}` : (await run('openssl', ['version'])).stdout.trim();
  return { ...parseOpensslSpeed(stdout), processes, version };
}
