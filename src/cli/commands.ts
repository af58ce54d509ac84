// Every `certdesk` command, in the order `certdesk help` lists them. A new command is a file
// of its own exporting a Command (src/cli/command.ts) and one line here.
import type { Command, CommandGroup } from './command.js';
import { serveCommand } from './serve.js';
import { devCommand } from './dev.js';
import { adminCommands } from './admin.js';
import { caShowCommand } from './ca.js';
import { caRotateCommand } from './ca-rotate.js';
import { storeCopyCommand } from './store.js';

export const COMMANDS: readonly Command[] = [
  serveCommand,
  devCommand,
  ...adminCommands,
  caShowCommand,
  caRotateCommand,
  storeCopyCommand,
];

export const GROUPS: readonly CommandGroup[] = [
  { name: 'admin', summary: 'operator commands on the store: accounts, keys, plans, contacts, companies, orders' },
  { name: 'ca', summary: "certdesk's CA hierarchy" },
  { name: 'store', summary: 'moving data between stores' },
];
