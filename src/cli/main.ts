#!/usr/bin/env node
// The `ringmaster` command. Commands on the store (serve, tokens, keys, db) open DATABASE_URL and migrate it
// first; `groups` talks to a running server through its public API.
import { ConfigError } from '../config.ts';
import { CliError, UsageError } from './usage.ts';

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
  db export > backup.jsonl                write every group and credential as JSON lines (docs/deployment.md)
  db import [--replace] < backup.jsonl    load a backup in one transaction; refuses a non-empty database
                                          unless --replace

  audit list [--account <id>] [--since <date>] [--before <date>] [--limit <n>] [--json]
                                          the audit trail from the database, newest first: every
                                          account's changes, or one account's log as the API shows it

  groups list [--page <n>] [--per-page <n>]  list deployment groups (every page unless --page)
  groups get <id>                         show one group
  groups create --name <name> --version <env>=<version>… [--policy <id>…] [--from-file group.json]
  groups edit <id> [--name <name>] [--version <env>=<version>…] [--policy <id>… | --clear-policies]
                   [--from-file group.json]
  groups delete <id> [--yes]              asks for confirmation on a terminal unless --yes
  groups history <id>                     the group's revisions, newest first (also once deleted)
  groups revert <id> --revision <n>       make the group what it was at revision n (a new revision)
     groups options: --base-url (CLOUDFLARE_BASE_URL, default http://127.0.0.1:8787/client/v4),
     --token (CLOUDFLARE_API_TOKEN), --account (CLOUDFLARE_ACCOUNT_ID), --json for scripts;
     --version default=<version> is the entry for every environment without its own.
     Exit codes: 2 usage, 3 the API refused (its messages are printed), 4 server unreachable.

Environment: DATABASE_URL (default sqlite:./data/ringmaster.db; postgres://… selects PostgreSQL),
DATABASE_POOL_SIZE (default 10), HOST, PORT, LOG_LEVEL, TARGET_ENVIRONMENTS.
`;

// Loaded on demand: `serve` must not pay for the SDK that `groups` loads (start-up time and memory).
const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  serve: async (args) => (await import('./serve.ts')).serveCommand(args),
  tokens: async (args) => (await import('./tokens.ts')).tokensCommand(args),
  keys: async (args) => (await import('./keys.ts')).keysCommand(args),
  db: async (args) => (await import('./db.ts')).dbCommand(args),
  groups: async (args) => (await import('./groups.ts')).groupsCommand(args),
  audit: async (args) => (await import('./audit.ts')).auditCommand(args),
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
      return error.exitCode;
    }
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

const code = await main(process.argv.slice(2));
// `serve` keeps running; every other command is done.
if (process.argv[2] !== 'serve' || code !== 0) process.exit(code);
