// What a `certdesk` command is. Each command (or family of subcommands) lives in its own
// file and is listed once in src/cli/commands.ts; main.ts finds it by its words, prints its
// help for `--help` / `certdesk help ...` without running it, and parses its flags.
import type { OptionScope } from '../config/schema.js';
import type { Flags, OptionDefs } from './args.js';

export interface CommandInput {
  flags: Flags;
  positionals: string[];
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** The words that name it: `serve`, `ca show`, `admin account create`. */
  name: string;
  /** Arguments as the usage line shows them, e.g. `--name NAME`. */
  args?: string;
  /** One line: what it does. */
  summary: string;
  /** Longer help, printed by `certdesk help <command>`. */
  details?: string;
  /** Its own flags, besides --json, --help and the configuration options of `config`. */
  options?: OptionDefs;
  /** Which configuration options it takes (src/config/schema.ts scopes). */
  config: readonly OptionScope[];
  run(input: CommandInput): Promise<void>;
}

/** A family of commands sharing their first word(s), e.g. `admin`: its line in the top help. */
export interface CommandGroup {
  name: string;
  summary: string;
}
