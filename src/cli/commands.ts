// The one table of `ringmaster` commands: each command's name, summary, usage, options and handler. The
// top-level help, every command's own help, option parsing and dispatch are all derived from it (help.ts,
// main.ts), so what the help says is what the parser accepts.

/** A command-line option: its parseArgs type and how the help shows it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** The value's placeholder in the help, e.g. `<id>`. */
  value?: string;
  description: string;
}

export type Options = Record<string, OptionSpec>;
export type Values = Record<string, string | boolean | string[] | undefined>;
export interface Parsed {
  values: Values;
  positionals: string[];
}
export type Handler = (parsed: Parsed) => Promise<void>;

export interface Command {
  /** The words that select it, e.g. ['tokens', 'create']. */
  path: string[];
  summary: string;
  /** What follows `ringmaster <path>` in the usage line. */
  usage: string;
  options: Options;
  /** Names of the positional arguments it takes, exactly these many. */
  positionals?: string[];
  /** Paragraphs after the options in the command's help. */
  details?: string;
  /** Loaded on demand: `serve` must not pay for the SDK that `groups` loads (start-up time, memory). */
  load: () => Promise<Handler>;
}

const GRANT: Options = {
  account: {
    type: 'string',
    multiple: true,
    value: '<id>',
    description: 'an account it may use: 32 lowercase hex digits (repeat for more)',
  },
  'all-accounts': { type: 'boolean', description: 'every account, present and future' },
  name: { type: 'string', value: '<name>', description: 'a name to recognise it by in `tokens list`' },
  'expires-in': {
    type: 'string',
    value: '<duration>',
    description: 'expire after a number of s, m, h or d: 45m, 12h, 30d (at most 999999 of them)',
  },
};

const CONNECTION: Options = {
  'base-url': {
    type: 'string',
    value: '<url>',
    description: 'the server’s API (default CLOUDFLARE_BASE_URL, else http://127.0.0.1:8787/client/v4)',
  },
  token: { type: 'string', value: '<token>', description: 'an API token (default CLOUDFLARE_API_TOKEN)' },
  account: { type: 'string', value: '<id>', description: 'the account (default CLOUDFLARE_ACCOUNT_ID)' },
  json: { type: 'boolean', description: 'print JSON instead of a table (for scripts)' },
};

const FIELDS: Options = {
  name: { type: 'string', value: '<name>', description: 'the group’s name' },
  version: {
    type: 'string',
    multiple: true,
    value: '<env>=<version>',
    description: 'a version for an environment; `default=<version>` for every other one (repeatable)',
  },
  policy: {
    type: 'string',
    multiple: true,
    value: '<id>',
    description: 'a device profile (policy) ID; the list replaces the stored one (repeatable)',
  },
  'clear-policies': { type: 'boolean', description: 'set policy_ids to null' },
  'from-file': {
    type: 'string',
    value: '<file>',
    description: 'a JSON object with the API’s fields (`-` for stdin); flags override its fields',
  },
};

const DRY_RUN: Options = {
  'dry-run': {
    type: 'boolean',
    description: 'send the request to the preview route instead: print what would change, write nothing',
  },
};

const GROUPS_DETAILS = `Exit codes: 0 success, 2 usage error, 3 the API refused (its messages are printed),
4 the server could not be reached.`;

const WRITE_DETAILS = `${GROUPS_DETAILS}
--dry-run previews the request (POST …/deployment-groups/preview, docs/contract.md §8.3): exit 0 and what would
change when it would succeed, the same refusal and exit code as without --dry-run when it would not.`;

export const COMMANDS: Command[] = [
  {
    path: ['serve'],
    summary: 'run the API server (what npm start runs)',
    usage: '[--memory] [--port <n>] [--test-mode [--seed <fixtures.json>] [--print-env]]',
    options: {
      memory: { type: 'boolean', description: 'an in-memory store (as DATABASE_URL=sqlite::memory:)' },
      port: {
        type: 'string',
        value: '<n>',
        description: 'the port to listen on (as PORT; 0 picks a free one)',
      },
      'test-mode': {
        type: 'boolean',
        description:
          'test mode (docs/testing.md): control routes under /ringmaster/v1/testing, fresh credentials',
      },
      seed: { type: 'string', value: '<fixtures.json>', description: 'test mode: groups to start with' },
      'print-env': {
        type: 'boolean',
        description: 'test mode: print "export CLOUDFLARE_…=…" lines on stdout (the log goes to stderr)',
      },
    },
    details:
      'Configured by environment variables: `ringmaster --help` lists them all. The flags win over them.',
    load: async () => (await import('./serve.ts')).serve,
  },
  {
    path: ['tokens', 'create'],
    summary: 'create an API token; prints the secret alone on stdout',
    usage:
      '(--account <id>… | --all-accounts) --permission read|write [--name <name>] [--expires-in <duration>]',
    options: {
      ...GRANT,
      permission: { type: 'string', value: 'read|write', description: 'Zero Trust Read or Write' },
    },
    load: async () => (await import('./tokens.ts')).create,
  },
  {
    path: ['tokens', 'list'],
    summary: 'list tokens and keys (never their secrets)',
    usage: '[--json]',
    options: { json: { type: 'boolean', description: 'print JSON instead of a table (for scripts)' } },
    details: 'Times are UTC, shown with their zone (Z).',
    load: async () => (await import('./tokens.ts')).list,
  },
  {
    path: ['tokens', 'revoke'],
    summary: 'revoke a token or key, effective on the next request',
    usage: '<id>',
    options: {},
    positionals: ['<id>'],
    load: async () => (await import('./tokens.ts')).revoke,
  },
  {
    path: ['keys', 'create'],
    summary: 'create a legacy API key (X-Auth-Email + X-Auth-Key)',
    usage:
      '--email <email> (--account <id>… | --all-accounts) [--permission read|write] [--name <name>] [--expires-in <duration>]',
    options: {
      email: { type: 'string', value: '<email>', description: 'the email the key is used with' },
      ...GRANT,
      permission: {
        type: 'string',
        value: 'read|write',
        description: 'Zero Trust Read or Write (default write)',
      },
    },
    load: async () => (await import('./keys.ts')).create,
  },
  {
    path: ['db', 'migrate'],
    summary: 'bring the database schema up to date',
    usage: '',
    options: {},
    load: async () => (await import('./db.ts')).migrate,
  },
  {
    path: ['db', 'export'],
    summary: 'write every group and credential as JSON lines (docs/deployment.md)',
    usage: '> backup.jsonl',
    options: {},
    load: async () => (await import('./db.ts')).exportBackup,
  },
  {
    path: ['db', 'import'],
    summary: 'load a backup in one transaction',
    usage: '[--replace] < backup.jsonl',
    options: {
      replace: { type: 'boolean', description: 'delete what the database holds and import instead' },
    },
    details: 'Refuses a non-empty database unless --replace; on any problem nothing is imported.',
    load: async () => (await import('./db.ts')).importBackup,
  },
  {
    path: ['groups', 'list'],
    summary: 'list deployment groups (every page unless --page)',
    usage: '[--page <n>] [--per-page <n>] [connection options]',
    options: {
      ...CONNECTION,
      page: { type: 'string', value: '<n>', description: 'only this page' },
      'per-page': { type: 'string', value: '<n>', description: 'groups per page, 1–100 (default 50)' },
    },
    details: GROUPS_DETAILS,
    load: async () => (await import('./groups.ts')).list,
  },
  {
    path: ['groups', 'get'],
    summary: 'show one deployment group',
    usage: '<id> [connection options]',
    options: CONNECTION,
    positionals: ['<id>'],
    details: GROUPS_DETAILS,
    load: async () => (await import('./groups.ts')).get,
  },
  {
    path: ['groups', 'create'],
    summary: 'create a deployment group',
    usage: '--name <name> --version <env>=<version>… [--policy <id>…] [--from-file group.json] [--dry-run]',
    options: { ...CONNECTION, ...FIELDS, ...DRY_RUN },
    details: WRITE_DETAILS,
    load: async () => (await import('./groups.ts')).create,
  },
  {
    path: ['groups', 'edit'],
    summary: 'change a deployment group (fields given replace the stored ones)',
    usage:
      '<id> [--name <name>] [--version <env>=<version>…] [--policy <id>… | --clear-policies] [--from-file group.json] [--dry-run]',
    options: { ...CONNECTION, ...FIELDS, ...DRY_RUN },
    positionals: ['<id>'],
    details: WRITE_DETAILS,
    load: async () => (await import('./groups.ts')).edit,
  },
  {
    path: ['groups', 'delete'],
    summary: 'delete a deployment group; asks on a terminal unless --yes',
    usage: '<id> [--yes] [--dry-run]',
    options: {
      ...CONNECTION,
      yes: { type: 'boolean', description: 'do not ask for confirmation' },
      ...DRY_RUN,
    },
    positionals: ['<id>'],
    details: WRITE_DETAILS,
    load: async () => (await import('./groups.ts')).remove,
  },
  {
    path: ['groups', 'history'],
    summary: 'a deployment group’s revisions, newest first (also once deleted)',
    usage: '<id> [connection options]',
    options: CONNECTION,
    positionals: ['<id>'],
    details: GROUPS_DETAILS,
    load: async () => (await import('./groups.ts')).history,
  },
  {
    path: ['groups', 'revert'],
    summary: 'make a deployment group what it was at a revision (recorded as a new one)',
    usage: '<id> --revision <n> [connection options]',
    options: {
      ...CONNECTION,
      revision: { type: 'string', value: '<n>', description: 'the revision to return to (groups history)' },
    },
    positionals: ['<id>'],
    details: GROUPS_DETAILS,
    load: async () => (await import('./groups.ts')).revert,
  },
  {
    path: ['audit', 'list'],
    summary: 'print the audit trail from the database, newest first',
    usage: '[--account <id>] [--since <date>] [--before <date>] [--limit <n>] [--json]',
    options: {
      account: {
        type: 'string',
        value: '<id>',
        description: 'only what this account’s log shows: its entries and those of all-accounts credentials',
      },
      since: {
        type: 'string',
        value: '<date>',
        description: 'from this date (2026-07-01, midnight UTC) or RFC 3339 date-time on',
      },
      before: { type: 'string', value: '<date>', description: 'before this date or date-time' },
      limit: { type: 'string', value: '<n>', description: 'at most this many entries (default: all)' },
      json: { type: 'boolean', description: 'print the stored entries as a JSON array (for scripts)' },
    },
    details: 'Every entry of every account unless --account; times are UTC (docs/contract.md §8.2).',
    load: async () => (await import('./audit.ts')).list,
  },
];

/** What each first word groups, for `ringmaster <word> --help`. */
export const COMMAND_GROUPS: Record<string, string> = {
  tokens: 'API tokens and legacy keys in the database',
  keys: 'legacy API keys (X-Auth-Email + X-Auth-Key)',
  db: 'the database: schema, backups',
  groups: 'deployment groups on a running server, through its API (the official cloudflare SDK)',
  audit: 'the audit trail in the database',
};
