// The `certdesk` command line: find the command by its words, print help without running
// anything for `--help` / `certdesk help ...`, otherwise parse its flags and run it.
import { readFileSync } from 'node:fs';
import { CertError, isCertError } from '../domain/errors.js';
import { optionHelp } from '../config/schema.js';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { COMMANDS, GROUPS } from './commands.js';

export function version(): string {
  // ../../package.json from both src/cli/ and dist/cli/.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usageLine(c: Command): string {
  return `certdesk ${c.name}${c.args ? ` ${c.args}` : ''}`;
}

function topHelp(): string {
  const single = COMMANDS.filter((c) => !GROUPS.some((g) => c.name.startsWith(`${g.name} `)));
  const rows = [
    ...single.map((c) => [`certdesk ${c.name}${c.args ? ` ${c.args}` : ''}`, c.summary]),
    ...GROUPS.map((g) => [`certdesk ${g.name} ...`, `${g.summary} (certdesk help ${g.name})`]),
    ['certdesk help [COMMAND]', 'this text, or the help of a command'],
    ['certdesk --version', 'print the version'],
  ];
  const width = Math.max(...rows.map(([a]) => a!.length));
  return `certdesk ${version()}: a self-hosted certificate service speaking Alibaba Cloud CAS 2020-04-07

Usage:
${rows.map(([a, b]) => `  ${a!.padEnd(width)}  ${b}`).join('\n')}

Every command takes --help (print its help, change nothing) and --json (machine-readable output).
Commands that open the store take:
${optionHelp(['store'])}

certdesk help serve lists the server's options; docs/configuration.md has them all.
`;
}

function groupHelp(prefix: string, commands: readonly Command[]): string {
  const group = GROUPS.find((g) => g.name === prefix);
  return `certdesk ${prefix}${group ? `: ${group.summary}` : ''}

${commands.map((c) => `  ${usageLine(c)}\n      ${c.summary}`).join('\n')}

certdesk help ${prefix} <command> shows a command's options.
`;
}

function commandHelp(c: Command): string {
  const config = c.config.length > 0 ? optionHelp(c.config) : '';
  return `${usageLine(c)}
  ${c.summary}
${c.details ? `\n${c.details}\n` : ''}
${config ? `${config}\n` : ''}Also: --json (machine-readable output), --help.
`;
}

/** The command named by the leading words of argv (longest match), and where its arguments start. */
function findCommand(words: readonly string[]): { command: Command; rest: number } | undefined {
  let best: { command: Command; rest: number } | undefined;
  for (const c of COMMANDS) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i] === p) && (!best || parts.length > best.rest))
      best = { command: c, rest: parts.length };
  }
  return best;
}

/** Help for the words given: a command's, a group's, or the top help. */
export function helpFor(words: readonly string[]): string | undefined {
  if (words.length === 0) return topHelp();
  const found = findCommand(words);
  if (found && found.rest === words.length) return commandHelp(found.command);
  const prefix = words.join(' ');
  const under = COMMANDS.filter((c) => c.name.startsWith(`${prefix} `));
  if (under.length > 0) return groupHelp(prefix, under);
  return undefined;
}

/** The leading words before the first flag (`admin account create --name x` -> 3 words). */
function leadingWords(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    out.push(a);
  }
  return out;
}

function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const [first] = argv;
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`certdesk ${version()}\n`);
    return;
  }
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const words = first === 'help' ? argv.slice(1) : [];
    const text = helpFor(words);
    if (!text) throw new CertError('invalid_parameter', `unknown command "${words.join(' ')}"; try certdesk help`);
    process.stdout.write(text);
    return;
  }
  const words = leadingWords(argv);
  const found = findCommand(words);
  if (wantsHelp(argv)) {
    // The longest known prefix of what was typed: `admin --help`, `admin account --help`, `serve --help`.
    for (let n = found ? found.rest : words.length; n >= 0; n--) {
      const text = helpFor(words.slice(0, n));
      if (text) {
        process.stdout.write(text);
        return;
      }
    }
  }
  if (!found) {
    const group = helpFor(words);
    const typed = words.join(' ');
    throw new CertError(
      'invalid_parameter',
      group
        ? `"${typed}" needs a subcommand:\n${group}`
        : `unknown command "${typed}"; try certdesk help${words.length > 1 ? ` ${words[0]}` : ''}`,
    );
  }
  const { command } = found;
  const { flags, positionals } = parseFlags(argv.slice(found.rest), command.options ?? {}, command.config);
  await command.run({ flags, positionals, env });
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await run(argv, env);
  } catch (e) {
    process.stderr.write(`certdesk: ${isCertError(e) ? e.message : (e as Error).message}\n`);
    process.exitCode = isCertError(e) && (e.kind === 'invalid_parameter' || e.kind === 'missing_parameter') ? 2 : 1;
  }
}
