// The `ringmaster` command line, run as real processes against real SQLite files, with a real server
// where a credential must be tried (docs: README "Tokens"; docs/contract.md §6).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { OTHERS_SEEN_WITHIN_MS } from '../src/store/other-commits.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { type ApiResponse, callApi } from './support/api.ts';
import { type CliResult, type RunningServer, runCli, runCliAsync, startServer } from './support/server.ts';

const KEY_EMAIL = 'ops@example.com';
const TOKEN_SECRET = /^rmt_[A-Za-z0-9_-]{43,}$/;
const KEY_SECRET = /^rmk_[A-Za-z0-9_-]{43,}$/;

const dirs: string[] = [];
const running = new Set<RunningServer>();

/** A fresh directory and a DATABASE_URL for a file in it that does not exist yet. */
function freshDatabase(): { path: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'ringmaster-cli-'));
  dirs.push(dir);
  const path = join(dir, 'x.db');
  return { path, env: { DATABASE_URL: `sqlite:${path}` } };
}

async function start(env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer(env);
  running.add(server);
  return server;
}

async function stop(server: RunningServer): Promise<number | null> {
  running.delete(server);
  return server.stop();
}

type Auth = { token: string } | { key: string; email: string };

function request(
  server: RunningServer,
  auth: Auth,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const credentials = 'token' in auth ? auth.token : { 'x-auth-key': auth.key, 'x-auth-email': auth.email };
  return callApi(server.baseUrl, credentials, method, path, body);
}

const groupsPath = (account = ACCOUNT) => `/accounts/${account}/devices/deployment-groups`;
const newGroup = {
  name: 'CLI test',
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
};

const read = (server: RunningServer, auth: Auth, account = ACCOUNT) =>
  request(server, auth, 'GET', groupsPath(account));
const write = (server: RunningServer, auth: Auth, account = ACCOUNT) =>
  request(server, auth, 'POST', groupsPath(account), newGroup);

function assertRefused(response: { status: number; body: any }, status: number, code: number): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.errors[0]?.code, code);
}

function assertUsageError(result: CliResult, message: RegExp, command: string): void {
  assert.equal(result.status, 2, `ringmaster ${command}: exit code 2 expected; stderr: ${result.stderr}`);
  assert.match(result.stderr, message, `ringmaster ${command}`);
  assert.equal(result.stdout, '', `ringmaster ${command}: nothing on stdout`);
}

after(async () => {
  await Promise.all([...running].map((server) => server.kill()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('a fresh installation', () => {
  const db = freshDatabase();

  test('db migrate creates the schema on a fresh DATABASE_URL before any server ran, and is idempotent', () => {
    assert.equal(existsSync(db.path), false);
    const first = runCli(['db', 'migrate'], db.env);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /up to date/);
    assert.ok(existsSync(db.path));

    const readVersions = () => {
      const sqlite = new BetterSqlite3(db.path, { readonly: true });
      try {
        const tables = sqlite
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
          .pluck()
          .all() as string[];
        const versions = sqlite
          .prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version')
          .all();
        return {
          tables,
          versions,
          credentials: sqlite.prepare('SELECT count(*) FROM credentials').pluck().get(),
        };
      } finally {
        sqlite.close();
      }
    };
    const migrated = readVersions();
    for (const table of ['credentials', 'deployment_groups', 'policy_owners', 'schema_migrations']) {
      assert.ok(migrated.tables.includes(table), `table ${table} exists`);
    }
    assert.ok(migrated.versions.length >= 1);
    assert.equal(migrated.credentials, 0, 'migrating creates no credential');

    const again = runCli(['db', 'migrate'], db.env);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(readVersions(), migrated, 'a second migrate changes nothing');
  });

  test('the first start prints the bootstrap token once, with a ready-to-paste curl line, never in the logs', async () => {
    const server = await start(db.env);
    const token = server.operatorToken;
    assert.ok(token && TOKEN_SECRET.test(token), `an operator token on stderr: ${server.stderr()}`);

    const curlLine = server
      .stderr()
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line.startsWith('curl '));
    assert.equal(curlLine, `curl -H "Authorization: Bearer ${token}" ${server.baseUrl}/user/tokens/verify`);
    // Pasted into a shell as is, it verifies the token (where curl is installed; else the same request).
    const verified =
      spawnSync('curl', ['--version']).status === 0
        ? JSON.parse(execFileSync('sh', ['-c', `${curlLine} --silent --show-error`], { encoding: 'utf8' }))
        : (await request(server, { token }, 'GET', '/user/tokens/verify')).body;
    assert.equal(verified.success, true);
    assert.equal(verified.result.status, 'active');

    assert.equal((await write(server, { token })).status, 200);
    assert.equal((await read(server, { token }, OTHER_ACCOUNT)).status, 200, 'all accounts');

    const logLines = server.stdout().trim().split('\n');
    for (const line of logLines) assert.doesNotThrow(() => JSON.parse(line), `a JSON log line: ${line}`);
    assert.ok(logLines.some((line) => JSON.parse(line).msg === 'request'));
    assert.equal(server.stdout().includes(token), false, 'the token is not in the JSON logs');
    assert.equal(server.stdout().includes(token.slice(4)), false);

    assert.equal(await stop(server), 0);
    assert.equal(server.stdout().includes(token), false, 'nor in the shutdown logs');

    const again = await start(db.env);
    assert.equal(again.operatorToken, undefined);
    assert.doesNotMatch(again.stderr(), /rmt_|curl/, 'the second start prints no token');
    assert.equal((await read(again, { token })).status, 200, 'the first token still works');
    assert.equal(await stop(again), 0);
  });
});

describe('tokens and keys against a running server', () => {
  const db = freshDatabase();
  let server: RunningServer;
  const secrets: string[] = [];
  // Created side by side once the server runs (each command is a process start); each test checks its own.
  const commands = {
    readToken: ['tokens', 'create', '--account', ACCOUNT, '--permission', 'read'],
    allAccounts: ['tokens', 'create', '--all-accounts', '--permission', 'write', '--name', 'everywhere'],
    key: ['keys', 'create', '--email', KEY_EMAIL, '--account', ACCOUNT],
    toRevoke: ['tokens', 'create', '--account', ACCOUNT, '--permission', 'write'],
    keyToRevoke: ['keys', 'create', '--email', KEY_EMAIL, '--account', ACCOUNT, '--permission', 'read'],
  };
  const created = {} as Record<keyof typeof commands, CliResult>;

  before(async () => {
    server = await start(db.env);
    assert.ok(server.operatorToken);
    secrets.push(server.operatorToken);
    const names = Object.keys(commands) as (keyof typeof commands)[];
    const results = await Promise.all(names.map((name) => runCliAsync(commands[name], db.env)));
    names.forEach((name, i) => {
      created[name] = results[i] as CliResult;
    });
  });

  /** The secret a create command printed (checked to be alone on stdout) and the id it named on stderr. */
  function secretOf(result: CliResult): { secret: string; id: string } {
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      /^rm[tk]_[A-Za-z0-9_-]{43,}\n$/,
      'stdout is the secret and a newline, nothing else',
    );
    const secret = result.stdout.trim();
    assert.equal(result.stderr.includes(secret), false, 'stderr does not repeat the secret');
    const id = /Created (?:token|API key) ([0-9a-f]{32})/.exec(result.stderr)?.[1];
    assert.ok(id, `the credential id is on stderr: ${result.stderr}`);
    secrets.push(secret);
    return { secret, id };
  }

  test('tokens create --permission read prints only the secret; it reads but is refused writes with 403 10000', async () => {
    const { secret: token } = secretOf(created.readToken);
    assert.match(token, TOKEN_SECRET);

    assert.equal((await read(server, { token })).status, 200);
    assert.equal((await request(server, { token }, 'GET', '/user/tokens/verify')).status, 200);
    const refused = await write(server, { token });
    assertRefused(refused, 403, 10000);
    assert.ok(refused.body.errors[0].documentation_url);
    assertRefused(await read(server, { token }, OTHER_ACCOUNT), 403, 10000);
  });

  test('tokens create --all-accounts grants every account', async () => {
    const { secret: token } = secretOf(created.allAccounts);
    assert.match(token, TOKEN_SECRET);
    for (const account of [ACCOUNT, OTHER_ACCOUNT, '99999999999999999999999999999999']) {
      assert.equal((await write(server, { token }, account)).status, 200);
      assert.equal((await read(server, { token }, account)).status, 200);
    }
  });

  test('a token made with --expires-in stops working once it has expired', async () => {
    const { secret: token, id } = secretOf(
      await runCliAsync(
        ['tokens', 'create', '--account', ACCOUNT, '--permission', 'read', '--expires-in', '3s'],
        db.env,
      ),
    );
    const verified = await request(server, { token }, 'GET', '/user/tokens/verify');
    assert.equal(verified.status, 200, 'valid before it expires');
    assert.match(verified.body.result.expires_on, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    // expires_on is cut to the second; the real expiry lies within the second after it.
    const expiresAt = Date.parse(verified.body.result.expires_on) + 1000;
    assert.ok(expiresAt - Date.now() <= 4000, 'expires within about 3 s');

    await sleep(Math.max(0, expiresAt - Date.now()) + 200);
    assertRefused(await read(server, { token }), 403, 9109);
    assertRefused(await request(server, { token }, 'GET', '/user/tokens/verify'), 401, 1000);
    const list = await runCliAsync(['tokens', 'list'], db.env);
    assert.match(list.stdout, new RegExp(`${id}.*expired`));
  });

  test('keys create prints only a key that works with X-Auth-Email and X-Auth-Key', async () => {
    const { secret: key } = secretOf(created.key);
    assert.match(key, KEY_SECRET);

    assert.equal((await write(server, { key, email: KEY_EMAIL })).status, 200, 'write by default');
    assert.equal((await read(server, { key, email: KEY_EMAIL.toUpperCase() })).status, 200);
    assertRefused(await read(server, { key, email: 'other@example.com' }), 403, 9109);
    assertRefused(await read(server, { token: key }), 403, 9109);
  });

  test('tokens revoke makes the token fail on the running server within OTHERS_SEEN_WITHIN_MS', async () => {
    const { secret: token, id } = secretOf(created.toRevoke);
    assert.equal((await read(server, { token })).status, 200);

    const revoked = await runCliAsync(['tokens', 'revoke', id], db.env);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.equal(revoked.stdout, '');
    await sleep(OTHERS_SEEN_WITHIN_MS);
    assertRefused(await read(server, { token }), 403, 9109);
    assertRefused(await write(server, { token }), 403, 9109);

    const [twice, list] = await Promise.all([
      runCliAsync(['tokens', 'revoke', id], db.env),
      runCliAsync(['tokens', 'list'], db.env),
    ]);
    assert.notEqual(twice.status, 0);
    assert.match(twice.stderr, new RegExp(id));
    assert.match(list.stdout, new RegExp(`${id}.*revoked`));
  });

  test('tokens revoke works for a legacy key too', async () => {
    const { secret: key, id } = secretOf(created.keyToRevoke);
    assert.match(key, KEY_SECRET);
    assert.equal((await read(server, { key, email: KEY_EMAIL })).status, 200);
    assertRefused(await write(server, { key, email: KEY_EMAIL }), 403, 10000);
    assert.equal((await runCliAsync(['tokens', 'revoke', id], db.env)).status, 0);
    await sleep(OTHERS_SEEN_WITHIN_MS);
    assertRefused(await read(server, { key, email: KEY_EMAIL }), 403, 9109);
  });

  test('tokens list shows ids and permissions but never a secret or its hash', async () => {
    const result = await runCliAsync(['tokens', 'list'], db.env);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+KIND\s+NAME\s+PERMISSION\s+ACCOUNTS/);
    assert.equal(lines.length - 1, secrets.length, 'one row per credential');
    assert.match(result.stdout, /operator/);
    assert.match(result.stdout, /everywhere/);
    assert.match(result.stdout, new RegExp(`key \\(${KEY_EMAIL}\\)`));
    for (const line of lines.slice(1)) assert.match(line, /^[0-9a-f]{32}\s.*\b(read|write)\b/);

    assert.doesNotMatch(result.stdout + result.stderr, /rm[tk]_/);
    for (const secret of secrets) {
      assert.equal(result.stdout.includes(secret.slice(4, 20)), false);
      const hash = createHash('sha256').update(secret).digest('hex');
      assert.equal(result.stdout.includes(hash), false);
    }
  });

  test('the database stores only hashes: no secret occurs in the credentials table or the files', () => {
    assert.ok(secrets.length >= 6);
    const sqlite = new BetterSqlite3(db.path, { readonly: true });
    let rows: Record<string, unknown>[];
    try {
      rows = sqlite.prepare('SELECT * FROM credentials').all() as Record<string, unknown>[];
    } finally {
      sqlite.close();
    }
    assert.equal(rows.length, secrets.length);
    const table = JSON.stringify(rows);
    const hashes = rows.map((row) => row.secret_hash);
    for (const secret of secrets) {
      assert.equal(table.includes(secret), false, 'the secret is not stored');
      assert.equal(table.includes(secret.slice(4)), false, 'nor its random part');
      assert.ok(hashes.includes(createHash('sha256').update(secret).digest('hex')), 'its SHA-256 is');
    }
    // The raw bytes too, write-ahead log included (the server is still running).
    for (const file of [db.path, `${db.path}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file).toString('latin1');
      for (const secret of secrets)
        assert.equal(bytes.includes(secret.slice(4)), false, `no secret in ${file}`);
    }
  });
});

describe('usage and configuration errors', () => {
  const db = freshDatabase();

  test('usage errors exit 2 with a message on stderr and nothing on stdout', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['tokens', 'create', '--permission', 'read'], /--account .*--all-accounts/],
      [
        ['tokens', 'create', '--account', ACCOUNT, '--all-accounts', '--permission', 'read'],
        /--all-accounts/,
      ],
      [
        ['tokens', 'create', '--account', ACCOUNT, '--permission', 'read', '--expires-in', '1x'],
        /--expires-in/,
      ],
      [['tokens', 'create', '--account', ACCOUNT, '--permission', 'read', '--bogus'], /--bogus/],
      [['tokens', 'revoke'], /missing <id>/],
      [['keys', 'create', '--account', ACCOUNT], /--email/],
      [['db', 'frobnicate'], /db has no command "frobnicate"/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCliAsync(args, db.env)));
    cases.forEach(([args, message], i) => {
      assertUsageError(results[i] as CliResult, message, args.join(' '));
    });
    assert.equal(existsSync(db.path), false, 'a usage error touches no database');
  });

  test('invalid configuration fails at start naming every bad variable in one message', async () => {
    const [result, tokens] = await Promise.all([
      runCliAsync(['serve'], { PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' }),
      runCliAsync(['tokens', 'list'], { DATABASE_URL: 'mysql://x' }),
    ]);
    assert.notEqual(result.status, 0);
    assert.notEqual(result.status, null, 'it exits by itself rather than hanging');
    assert.equal(result.stdout, '');
    const message = result.stderr;
    assert.match(message, /Invalid configuration/);
    assert.equal(message.match(/Invalid configuration/g)?.length, 1, 'one message');
    assert.match(message, /PORT.*"abc"/);
    assert.match(message, /LOG_LEVEL.*"loud"/);
    assert.match(message, /DATABASE_URL.*"mysql:\/\/x"/);

    assert.notEqual(tokens.status, 0);
    assert.match(tokens.stderr, /DATABASE_URL/);
  });

  test('serve refuses, exit 2 before listening, every loose value that used to pass, all in the one list', async () => {
    const result = await runCliAsync(['serve'], {
      TRUST_PROXY: '1.2.3.4/999',
      TARGET_ENVIRONMENTS: 'windows,windows',
      HOST: '256.1.1.1',
      PORT: '0x4A9D',
      LOG_FORMAT: 'loud',
      DATABASE_URL: `sqlite:${db.path}`,
    });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stdout, '', 'nothing was logged: it never started');
    assert.equal(result.stderr.match(/Invalid configuration/g)?.length, 1);
    for (const name of ['TRUST_PROXY', 'TARGET_ENVIRONMENTS', 'HOST', 'PORT', 'LOG_FORMAT']) {
      assert.match(result.stderr, new RegExp(`^  - ${name} `, 'm'), name);
    }
    const blank = await runCliAsync(['serve'], { PORT: '', DATABASE_URL: `sqlite:${db.path}` });
    assert.equal(blank.status, 2, 'a blank PORT is refused rather than picking a random port');
    assert.match(blank.stderr, /PORT must be decimal digits from 0 to 65535, got ""/);
    assert.equal(existsSync(db.path), false, 'no database was opened');
  });
});
