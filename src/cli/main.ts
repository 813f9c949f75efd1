#!/usr/bin/env node
// The `ringmaster` command. Commands on the store (serve, tokens, keys, db) open DATABASE_URL and migrate it
// first; `groups` talks to a running server through its public API. Help, parsing and dispatch all come
// from the command table in commands.ts.
import { ConfigError } from '../config.ts';
import { VERSION } from '../version.ts';
import { COMMAND_GROUPS, COMMANDS, type Command } from './commands.ts';
import { commandHelp, groupHelp, helpHint, mainHelp } from './help.ts';
import { asksForHelp, CliError, parse, UsageError } from './usage.ts';

/** What the arguments select: a command and its own arguments, a help text, or a usage error. */
type Selection =
  | { command: Command; args: string[] }
  | { help: string }
  | { version: true }
  | { usage: string; path: string[] };

function select(argv: string[]): Selection {
  const [first, second, ...rest] = argv;
  if (first === undefined) return { usage: 'no command given', path: [] };
  if (first === '--help' || first === '-h' || first === 'help') return { help: mainHelp() };
  if (first === '--version') return { version: true };
  const leaf = COMMANDS.find((c) => c.path.length === 1 && c.path[0] === first);
  if (leaf)
    return asksForHelp(argv.slice(1)) ? { help: commandHelp(leaf) } : { command: leaf, args: argv.slice(1) };
  if (!(first in COMMAND_GROUPS)) return { usage: `unknown command ${JSON.stringify(first)}`, path: [] };
  const command = COMMANDS.find((c) => c.path[0] === first && c.path[1] === second);
  if (!command) {
    if (asksForHelp(argv.slice(1))) return { help: groupHelp(first) };
    const known = COMMANDS.filter((c) => c.path[0] === first).map((c) => c.path[1]);
    const what = second === undefined ? 'needs a command' : `has no command ${JSON.stringify(second)}`;
    return { usage: `${first} ${what}: ${known.join(', ')}`, path: [first] };
  }
  return asksForHelp(rest) ? { help: commandHelp(command) } : { command, args: rest };
}

async function run(command: Command, args: string[]): Promise<void> {
  const parsed = parse(args, command.options, command.positionals);
  const handler = await command.load();
  await handler(parsed);
}

async function main(argv: string[]): Promise<number> {
  const selection = select(argv);
  if ('help' in selection) {
    process.stdout.write(selection.help);
    return 0;
  }
  if ('version' in selection) {
    process.stdout.write(`ringmaster ${VERSION}\n`);
    return 0;
  }
  if ('usage' in selection) return usageError(selection.usage, selection.path);
  try {
    await run(selection.command, selection.args);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message, selection.command.path);
    if (error instanceof CliError) {
      process.stderr.write(`ringmaster: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`ringmaster: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`ringmaster: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** One line saying what is wrong, and where the help is: never the whole help. */
function usageError(message: string, path: string[]): number {
  process.stderr.write(`ringmaster: ${message}\n${helpHint(path)}\n`);
  return 2;
}

const code = await main(process.argv.slice(2));
// `serve` keeps running; every other command is done.
if (process.argv[2] !== 'serve' || code !== 0 || asksForHelp(process.argv.slice(3))) process.exit(code);
