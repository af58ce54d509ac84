// The system tools the ACME client tests drive (certbot, lego), installed by
// `bash scripts/setup-system.sh`: a missing one fails the test with that step named.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export function tool(path: string): string {
  assert.ok(existsSync(path), `${path} is missing: run \`bash scripts/setup-system.sh\``);
  return path;
}

/** Runs `file` to its end: its exit code and output, never a rejection. */
export function exec(
  file: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** lego's flags for an EAB account at `directoryUrl`, its state under `path`, and one domain. */
export function legoAccountArgs(o: {
  directoryUrl: string;
  path: string;
  eab: { KeyId: string; HmacKey: string };
  domain: string;
}): string[] {
  return [
    '--server',
    o.directoryUrl,
    '--path',
    o.path,
    '--accept-tos',
    '--email',
    'ops@example.com',
    '--eab',
    '--kid',
    o.eab.KeyId,
    '--hmac',
    o.eab.HmacKey,
    '--domains',
    o.domain,
  ];
}
