// The `certdesk` command line: parse arguments, then call src/app.
import { X509Certificate } from 'node:crypto';
import { CertError, isCertError } from '../domain/errors.js';
import { buildConfig, optionHelp, type Config } from '../config/schema.js';
import { openContext } from '../app/context.js';
import { createJsonLogger, silentLogger } from '../app/logger.js';
import { startServer } from '../app/serve.js';
import { caSettings, ensureHierarchy } from '../app/ca-bootstrap.js';
import { toPem } from '../crypto/pem.js';
import { adminUsage, runAdmin } from './admin.js';
import { runStore } from './store.js';
import { CA_ROTATE_USAGE, runCaRotate } from './ca.js';
import { configFlags, parseFlags } from './args.js';
import { printerFor } from './output.js';

const USAGE = `certdesk: a self-hosted certificate service speaking Alibaba Cloud CAS 2020-04-07

Usage:
  certdesk serve [options]        run the CAS API and the operator API
  certdesk admin <noun> <verb>    operator commands (see below)
  certdesk ca show [--json]       print the CA chain (PEM, accepted by openssl verify)
  ${CA_ROTATE_USAGE}
  certdesk store copy --from SRC --to DST [--to-schema NAME] [--json]   copy every table into an empty store and verify it; SRC, DST: sqlite:PATH or postgres://...

Options shared by every command:
${optionHelp()}
  --json
      Print machine-readable JSON.

Operator commands:
${adminUsage()}
`;

async function serve(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { flags } = parseFlags(argv, {});
  const config: Readonly<Config> = buildConfig(configFlags(flags));
  const logger = createJsonLogger(config.logLevel);
  const ctx = await openContext({ config, env, logger });
  const running = await startServer(ctx);
  process.stdout.write(
    `certdesk listening on ${running.apiUrl} (CAS API), operator API on ${running.adminUrl}, store ${ctx.store.kind}\n`,
  );
  const stop = (signal: string) => {
    logger.log('info', 'stopping', { signal });
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function caShow(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { flags } = parseFlags(argv, {});
  const config = buildConfig(configFlags(flags));
  const ctx = await openContext({ config, env, logger: silentLogger });
  try {
    const h = await ensureHierarchy(
      { store: ctx.store, sealer: ctx.sealer, clock: ctx.clock, random: ctx.random, logger: silentLogger },
      caSettings(config),
    );
    const chain = [
      { Role: 'issuing', der: h.issuing.certDer },
      { Role: 'root', der: h.root.certDer },
    ].map(({ Role, der }) => {
      const x = new X509Certificate(der);
      return {
        Role,
        Subject: x.subject.replace(/\n/g, ', '),
        Issuer: x.issuer.replace(/\n/g, ', '),
        SerialNumber: x.serialNumber,
        NotBefore: new Date(x.validFrom).toISOString(),
        NotAfter: new Date(x.validTo).toISOString(),
        Sha256: x.fingerprint256,
        Pem: toPem('CERTIFICATE', der),
      };
    });
    printerFor(flags.json === true)({ Chain: chain }, () =>
      chain
        .map(
          (c) =>
            `# ${c.Role}: ${c.Subject}\n#   issuer ${c.Issuer}\n#   serial ${c.SerialNumber}, ${c.NotBefore} .. ${c.NotAfter}\n#   sha256 ${c.Sha256}\n${c.Pem.trimEnd()}`,
        )
        .join('\n'),
    );
  } finally {
    await ctx.store.close();
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, env);
      case 'admin':
        return await runAdmin(rest, env);
      case 'store':
        return await runStore(rest, env);
      case 'ca':
        if (rest[0] === 'rotate') return await runCaRotate(rest.slice(1), env);
        if (rest[0] !== 'show')
          throw new CertError('invalid_parameter', 'usage: certdesk ca show [--json] | ca rotate');
        return await caShow(rest.slice(1), env);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return;
      default:
        throw new CertError('invalid_parameter', `unknown command "${command}"; try certdesk help`);
    }
  } catch (e) {
    process.stderr.write(`certdesk: ${isCertError(e) ? e.message : (e as Error).message}\n`);
    process.exitCode = isCertError(e) && (e.kind === 'invalid_parameter' || e.kind === 'missing_parameter') ? 2 : 1;
  }
}
