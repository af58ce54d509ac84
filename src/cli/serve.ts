// `certdesk serve`: the CAS API, the operator API and the job worker, as --role says.
import { buildConfig } from '../config/schema.js';
import { openContext } from '../app/context.js';
import { createJsonLogger } from '../app/logger.js';
import { planListeners } from '../app/listeners.js';
import { configFlags } from './args.js';
import type { Command } from './command.js';

export const serveCommand: Command = {
  name: 'serve',
  args: '[options]',
  summary: 'run the CAS API, the operator API and the job worker',
  details:
    'Creates the data directory, the store and the CA hierarchy on first start. Listeners on\n' +
    'loopback may be plain HTTP; any other address needs --tls auto or --tls-cert/--tls-key\n' +
    '(or --insecure-http). docs/configuration.md describes every option.',
  config: ['store', 'ca', 'serve'],
  async run({ flags, env }) {
    const config = buildConfig(configFlags(flags));
    // Refuse an unsafe listener before anything is created.
    planListeners(config);
    const logger = createJsonLogger(config.logLevel);
    const ctx = await openContext({ config, env, logger });
    // Loaded here: the HTTP edge (fastify, prom-client) is for this command only, and every
    // other command starts faster without it.
    const { startServer } = await import('../app/serve.js');
    const running = await startServer(ctx);
    const extra = running.listeners
      .filter((l) => l.name !== 'api' && l.name !== 'operator')
      .map((l) => `, ${l.name} on ${l.url}`)
      .join('');
    const acme = running.acmeListenUrl ? `, ACME on ${running.acmeListenUrl}/acme/directory` : '';
    process.stdout.write(
      `certdesk listening on ${running.apiUrl || '(none: --role worker)'} (CAS API), operator API on ${running.adminUrl}${extra}${acme}, store ${ctx.store.kind}\n`,
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
  },
};
