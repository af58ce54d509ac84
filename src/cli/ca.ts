// `certdesk ca show`: the CA chain (`ca rotate` is in ca-rotate.ts).
import { X509Certificate } from 'node:crypto';
import { buildConfig } from '../config/schema.js';
import { openContext } from '../app/context.js';
import { silentLogger } from '../app/logger.js';
import { caSettings, ensureHierarchy } from '../app/ca-bootstrap.js';
import { toPem } from '../crypto/pem.js';
import { configFlags } from './args.js';
import type { Command } from './command.js';
import { printerFor } from './output.js';

export const caShowCommand: Command = {
  name: 'ca show',
  summary: 'print the CA chain (issuing, root) as PEM with comments, accepted by openssl verify',
  config: ['store', 'ca'],
  async run({ flags, env }) {
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
  },
};
