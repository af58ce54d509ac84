// `certdesk ca rotate`: new issuers for an installation, e.g. one whose CA certificates
// predate the BR CA profile (no countryName, two reserved policy OIDs) or name a public URL
// nobody can reach. Issued certificates are not touched; the old issuers keep signing their
// CRLs and OCSP responses (src/app/ca-bootstrap.ts).
import { X509Certificate } from 'node:crypto';
import { CertError } from '../domain/errors.js';
import { buildConfig } from '../config/schema.js';
import { openContext } from '../app/context.js';
import { createJsonLogger } from '../app/logger.js';
import { caSettings, rotateHierarchy, type CaIssuer } from '../app/ca-bootstrap.js';
import { configFlags } from './args.js';
import type { Command } from './command.js';
import { printerFor } from './output.js';

function describe(c: CaIssuer) {
  const x = new X509Certificate(c.issuer.certDer);
  return {
    Name: c.name,
    Role: c.role,
    Subject: x.subject.replace(/\n/g, ', '),
    Issuer: x.issuer.replace(/\n/g, ', '),
    SerialNumber: x.serialNumber,
    NotAfter: new Date(x.validTo).toISOString(),
    Sha256: x.fingerprint256,
    Url: `/ca/${c.stem}.cer`,
    Pem: x.toString(),
  };
}

async function rotate({ flags, env }: Parameters<Command['run']>[0]): Promise<void> {
  // The default (http://<listen>) is right for nobody running a rotation: say it explicitly.
  if (typeof flags['public-url'] !== 'string')
    throw new CertError(
      'missing_parameter',
      '--public-url is required: the URL relying parties reach certdesk at, written into the new CA certificate',
    );
  const config = buildConfig(configFlags(flags));
  const logger = createJsonLogger('warn', (line) => process.stderr.write(line));
  const ctx = await openContext({ config, env, logger });
  try {
    const r = await rotateHierarchy(
      { store: ctx.store, sealer: ctx.sealer, clock: ctx.clock, random: ctx.random, logger },
      caSettings(config),
      { newRoot: flags['new-root'] === true },
    );
    const result = {
      Created: r.created.map(describe),
      Retired: r.retired.map((c) => ({ Name: c.name, Role: c.role, Url: `/ca/${c.stem}.cer` })),
      NewRootReasons: r.rootReasons,
    };
    printerFor(flags.json === true)(result, () =>
      [
        ...r.created.map((c) => {
          const d = describe(c);
          return `created ${d.Role} ${d.Name}: ${d.Subject}\n  sha256 ${d.Sha256}, served at ${d.Url}`;
        }),
        ...r.retired.map((c) => `retired ${c.role} ${c.name} (still signs CRLs and OCSP of its certificates)`),
        ...(r.rootReasons.length > 0
          ? [
              `new root because: ${r.rootReasons.join('; ')}`,
              'Distribute the new root (certdesk ca show) to relying parties before they meet its certificates.',
            ]
          : []),
        'Restart every certdesk process on this store so new certificates come from the new issuing CA.',
      ].join('\n'),
    );
  } finally {
    await ctx.store.close();
  }
}

export const caRotateCommand: Command = {
  name: 'ca rotate',
  args: '--public-url URL [--new-root] [--ca-country CC] [--ca-organization NAME]',
  summary: 'a new issuing CA (and a new root when needed); the old ones are retired but keep signing CRLs and OCSP',
  details:
    'A new root is made when the current one lacks countryName/organizationName, or with --new-root.\n' +
    'Retired issuers sign no new certificate, but still sign CRLs and OCSP for theirs. Restart certdesk after.',
  options: { 'new-root': { type: 'boolean' } },
  config: ['store', 'ca'],
  run: rotate,
};
