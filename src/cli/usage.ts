import { parseArgs } from 'node:util';
import type { Options, Parsed } from './commands.ts';

/** A failure the command explains itself: its message goes to stderr and the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Wrong words on the command line: exit code 2, one line and a hint to `--help`. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/**
 * The arguments against a command's options (node:util parseArgs, strict), its errors turned into
 * UsageError. A string option's value may start with `-` (`--expires-in -5m`): parseArgs would call it
 * ambiguous, whereas the command's own check says what is wrong with the value.
 */
export function parse(args: string[], options: Options, positionals: string[] = []): Parsed {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next?.startsWith('-') && !isOption(next, options)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joined, options, allowPositionals: positionals.length > 0, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] as string);
  }
  if (parsed.positionals.length !== positionals.length) {
    throw new UsageError(
      parsed.positionals.length < positionals.length
        ? `missing ${positionals.slice(parsed.positionals.length).join(' ')}`
        : `unexpected argument ${JSON.stringify(parsed.positionals[positionals.length])}`,
    );
  }
  return parsed as Parsed;
}

function isOption(arg: string, options: Options): boolean {
  return arg.startsWith('--') && (arg.slice(2).split('=')[0] ?? '') in options;
}

/** True when the arguments ask for help: `-h` or `--help` before any `--`. */
export function asksForHelp(args: string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}
