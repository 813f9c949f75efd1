#!/usr/bin/env node
// The `ringmaster` command. Every command reads DATABASE_URL and migrates the store before anything else.
import { ConfigError } from '../config.ts';
import { dbCommand } from './db.ts';
import { keysCommand } from './keys.ts';
import { serveCommand } from './serve.ts';
import { tokensCommand } from './tokens.ts';
import { UsageError } from './usage.ts';

const HELP = `Usage: ringmaster <command>

  serve                                   run the API server (what npm start runs)
  tokens create (--account <id>… | --all-accounts) --permission read|write
                [--name <name>] [--expires-in <30d|12h|45m>]
                                          create an API token; prints the secret alone on stdout
  tokens list                             list tokens and keys (never their secrets)
  tokens revoke <id>                      revoke a token or key, effective on the next request
  keys create --email <email> (--account <id>… | --all-accounts) [--permission read|write] [--name <name>]
                                          create a legacy API key (X-Auth-Email + X-Auth-Key)
  db migrate                              bring the database schema up to date

Environment: DATABASE_URL (default sqlite:./data/ringmaster.db), HOST, PORT, LOG_LEVEL, TARGET_ENVIRONMENTS.
`;

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  serve: serveCommand,
  tokens: tokensCommand,
  keys: keysCommand,
  db: dbCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ringmaster: unknown command ${JSON.stringify(name)}\n\n${HELP}`);
    return 2;
  }
  try {
    await command(args);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ringmaster: ${error.message}\n\n${HELP}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`ringmaster: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`ringmaster: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// `serve` keeps running; every other command is done.
if (process.argv[2] !== 'serve' || code !== 0) process.exit(code);
