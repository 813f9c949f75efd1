import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A failure the command explains itself: its message goes to stderr and the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Wrong words on the command line: exit code 2 and the help text. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into UsageError. */
export function parse<T extends Options>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
