// The `ringmaster` command line for people: help on every command (exit 0), one-line usage errors with a
// hint (exit 2), messages that say what is wrong, and --version. Help and parsing come from one table
// (src/cli/commands.ts), so the help is checked against that table rather than against copied text.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { COMMAND_GROUPS, COMMANDS } from '../src/cli/commands.ts';
import { plural } from '../src/cli/db.ts';
import { ACCOUNT } from './support/accounts.ts';
import { type CliResult, ROOT, runCliAsync } from './support/server.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDatabase(): { path: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'ringmaster-cli-help-'));
  dirs.push(dir);
  const path = join(dir, 'x.db');
  return { path, env: { DATABASE_URL: `sqlite:${path}` } };
}

/** Runs the argument lists a few at a time (each is a process start on a shared machine). */
async function runAll(argLists: string[][], env: Record<string, string> = {}): Promise<CliResult[]> {
  const results: CliResult[] = [];
  for (let i = 0; i < argLists.length; i += 4) {
    results.push(...(await Promise.all(argLists.slice(i, i + 4).map((args) => runCliAsync(args, env)))));
  }
  return results;
}

describe('help', () => {
  test('ringmaster --help, -h and help list every command of the table, exit 0, on stdout', async () => {
    const results = await runAll([['--help'], ['-h'], ['help']]);
    for (const result of results) {
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /^Usage: ringmaster <command>/);
      for (const command of COMMANDS) {
        const lines = result.stdout.split('\n');
        assert.ok(
          lines.some(
            (line) => line.startsWith(`  ${command.path.join(' ')} `) && line.endsWith(command.summary),
          ),
          `${command.path.join(' ')} is listed with its summary`,
        );
      }
      assert.match(result.stdout, /--version/);
    }
  });

  test('every command and subcommand answers --help and -h with its own help: usage, every option', async () => {
    const commands = COMMANDS.flatMap((command) => [
      { command, args: [...command.path, '--help'] },
      { command, args: [...command.path, '-h'] },
    ]);
    // Help wins over everything else on the line, even what would be a usage error.
    const withErrors = COMMANDS.map((command) => ({ command, args: [...command.path, '--bogus', '-h'] }));
    const all = [...commands, ...withErrors];
    const db = freshDatabase();
    const results = await runAll(
      all.map(({ args }) => args),
      db.env,
    );
    all.forEach(({ command, args }, i) => {
      const result = results[i] as CliResult;
      const line = `ringmaster ${args.join(' ')}`;
      assert.equal(result.status, 0, `${line}: ${result.stderr}`);
      assert.equal(result.stderr, '', line);
      assert.ok(
        result.stdout.startsWith(`Usage: ringmaster ${command.path.join(' ')}`),
        `${line}: ${result.stdout}`,
      );
      for (const option of Object.keys(command.options)) {
        assert.match(result.stdout, new RegExp(`^  --${option}\\b`, 'm'), `${line} lists --${option}`);
      }
      assert.match(result.stdout, /^ {2}-h, --help +show this help$/m);
    });
    // Asking for help is not running the command: serve did not start, no database was made.
    assert.equal(existsSync(db.path), false);
  });

  test('each first word answers --help with the commands under it', async () => {
    const words = Object.keys(COMMAND_GROUPS);
    const results = await runAll(words.map((word) => [word, '--help']));
    words.forEach((word, i) => {
      const result = results[i] as CliResult;
      assert.equal(result.status, 0, result.stderr);
      for (const command of COMMANDS.filter((c) => c.path[0] === word)) {
        assert.match(result.stdout, new RegExp(`^  ${command.path.join(' ')} `, 'm'));
      }
    });
  });

  test('ringmaster --version prints the version in package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const result = await runCliAsync(['--version']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `ringmaster ${version}\n`);
  });
});

describe('usage errors: one line saying what is wrong, and a hint to --help', () => {
  test('exit 2, the message and the hint on stderr, never the whole help', async () => {
    const cases: [string[], RegExp, string][] = [
      [[], /no command given/, 'ringmaster --help'],
      [['frobnicate'], /unknown command "frobnicate"/, 'ringmaster --help'],
      [['tokens'], /tokens needs a command: create, list, revoke/, 'ringmaster tokens --help'],
      [
        ['db', 'frobnicate'],
        /db has no command "frobnicate": migrate, export, import/,
        'ringmaster db --help',
      ],
      [['tokens', 'create', '--bogus'], /Unknown option '--bogus'/, 'ringmaster tokens create --help'],
      [['tokens', 'revoke'], /missing <id>/, 'ringmaster tokens revoke --help'],
      [['tokens', 'revoke', 'a', 'b'], /unexpected argument "b"/, 'ringmaster tokens revoke --help'],
      [['groups', 'get'], /missing <id>/, 'ringmaster groups get --help'],
      [
        ['keys', 'create', '--email', 'notanemail', '--account', ACCOUNT],
        /--email: "notanemail" is not a valid email/,
        'ringmaster keys create --help',
      ],
      [
        ['keys', 'create', '--account', ACCOUNT],
        /--email <email> is required/,
        'ringmaster keys create --help',
      ],
      [
        ['tokens', 'create', '--account', ACCOUNT, '--permission', 'read', '--expires-in', '-5m'],
        /--expires-in must be a whole number \(1–999999\) of s, m, h or d, e\.g\. 45m, 12h, 30d; got "-5m"/,
        'ringmaster tokens create --help',
      ],
      [
        ['groups', 'list', '--per-page', '1e2', '--token', 't', '--account', ACCOUNT],
        /--per-page must be a positive whole number, got "1e2"/,
        'ringmaster groups list --help',
      ],
    ];
    const db = freshDatabase();
    const results = await runAll(
      cases.map(([args]) => args),
      db.env,
    );
    cases.forEach(([args, message, hint], i) => {
      const result = results[i] as CliResult;
      const line = `ringmaster ${args.join(' ')}`;
      assert.equal(result.status, 2, `${line}: ${result.stderr}`);
      assert.equal(result.stdout, '', line);
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 2, `${line}: one line and the hint, got ${result.stderr}`);
      assert.match(lines[0] as string, /^ringmaster: /);
      assert.match(lines[0] as string, message, line);
      assert.equal(lines[1], `Run \`${hint}\` for usage.`, line);
      assert.doesNotMatch(result.stderr, /Usage:/, `${line}: not the whole help`);
    });
  });
});

describe('messages about the database', () => {
  test('db migrate says it applied the schema to an empty database, then that nothing was left to apply', async () => {
    const db = freshDatabase();
    const first = await runCliAsync(['db', 'migrate'], db.env);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /was empty: applied the schema \(\d+ migrations?\); it is up to date/);
    const again = await runCliAsync(['db', 'migrate'], db.env);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /is up to date; nothing to apply/);
  });

  test('counts are singular for one: "1 credential", "1 deployment group"', async () => {
    assert.equal(plural(1, 'deployment group'), '1 deployment group');
    assert.equal(plural(0, 'deployment group'), '0 deployment groups');
    assert.equal(plural(2, 'credential'), '2 credentials');
    const db = freshDatabase();
    const created = await runCliAsync(['tokens', 'create', '--all-accounts', '--permission', 'read'], db.env);
    assert.equal(created.status, 0, created.stderr);
    const exported = await runCliAsync(['db', 'export'], db.env);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stderr, /Exported 0 deployment groups and 1 credential from /);
    const target = freshDatabase();
    const imported = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'db', 'import'], {
      cwd: ROOT,
      env: { ...process.env, ...target.env },
      input: exported.stdout,
      encoding: 'utf8',
    });
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stderr, /Imported 0 deployment groups and 1 credential into /);
  });
});

describe('tokens list', () => {
  test('--json for scripts (no secret, no hash), and times with their zone in the table', async () => {
    const db = freshDatabase();
    const created = await runCliAsync(
      [
        'tokens',
        'create',
        '--account',
        ACCOUNT,
        '--permission',
        'write',
        '--name',
        'ci',
        '--expires-in',
        '30d',
      ],
      db.env,
    );
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stderr, /expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    const [json, text] = await Promise.all([
      runCliAsync(['tokens', 'list', '--json'], db.env),
      runCliAsync(['tokens', 'list'], db.env),
    ]);
    assert.equal(json.status, 0, json.stderr);
    const [token] = JSON.parse(json.stdout);
    assert.equal(token.name, 'ci');
    assert.equal(token.kind, 'token');
    assert.equal(token.permission, 'write');
    assert.deepEqual(token.accounts, [ACCOUNT]);
    assert.equal(token.status, 'active');
    assert.match(token.expires_at, /Z$/);
    assert.equal('secret_hash' in token, false);
    assert.doesNotMatch(json.stdout, /rmt_|[0-9a-f]{64}/);

    const [header, row] = text.stdout.trimEnd().split('\n');
    assert.match(header as string, /CREATED \(UTC\)\s+EXPIRES \(UTC\)\s+STATUS$/);
    assert.match(
      row as string,
      /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+active$/,
    );
  });
});
