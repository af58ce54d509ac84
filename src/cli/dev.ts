// `certdesk dev`: a first run that cannot go wrong (app/dev.ts).
import { createJsonLogger } from '../app/logger.js';
import type { LOG_LEVELS } from '../config/schema.js';
import { configFlags } from './args.js';
import type { Command } from './command.js';

export const devCommand: Command = {
  name: 'dev',
  args: '[options]',
  summary: 'try certdesk locally: loopback server, demo account and a DNS to publish records at',
  details:
    'Starts certdesk on loopback with a loopback challenge server (DNS and HTTP) as its\n' +
    'validation target, creates a demo account with an AccessKey and a plan, and prints an SDK\n' +
    'program that applies, publishes the TXT record and prints the issued certificate.\n' +
    'Without --data-dir the data lives in a temporary directory, removed on exit. Never for production.',
  config: ['store', 'ca', 'serve'],
  async run({ flags, env }) {
    const cfg = configFlags(flags);
    // Quieter than serve by default: the instructions are what a newcomer should read.
    const level = (cfg['log-level'] as (typeof LOG_LEVELS)[number] | undefined) ?? 'warn';
    const logger = createJsonLogger(level);
    // Loaded here, as serve does: the HTTP edge is for the commands that listen.
    const { startDev, devInstructions } = await import('../app/dev.js');
    const session = await startDev({ flags: cfg, env, logger });
    process.stdout.write(devInstructions(session));
    const stop = () => {
      session.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
};
