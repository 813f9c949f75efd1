// The SQLite file as an operator meets it: one server per file (a second `ringmaster serve` is refused,
// the admin commands keep working next to the first), and a file that cannot be opened is named, with
// what to do about it. Real processes throughout.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { callApi } from './support/api.ts';
import { ROOT, type RunningServer, startServer } from './support/server.ts';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI to completion. A `serve` that is not refused would run forever: the timeout ends it,
 * and the status is then null, which fails the test.
 */
interface RunOptions {
  /** Let file permissions bind even when the tests run as root. */
  withoutPermissionOverride?: boolean;
}

function ringmaster(args: string[], databaseUrl: string, options: RunOptions = {}): Run {
  const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args];
  // Permissions do not bind root: as root, the CLI runs without the capabilities that override them
  // (a user such as `nobody` might not be able to read the checkout at all).
  if (options.withoutPermissionOverride && process.getuid?.() === 0) {
    command.unshift('setpriv', '--bounding-set', '-dac_override,-dac_read_search');
  }
  const [file, ...rest] = command as [string, ...string[]];
  const result = spawnSync(file, rest, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, HOST: '127.0.0.1', PORT: '0' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ringmaster-sqlite-file-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('one server per SQLite file', () => {
  let running: RunningServer | undefined;
  after(async () => running?.kill());

  it('refuses a second server on the same file while the admin commands keep working', async () => {
    const path = join(dir, 'served.db');
    const url = `sqlite:${path}`;
    running = await startServer({ DATABASE_URL: url });

    const second = ringmaster(['serve'], url);
    assert.equal(second.status, 1, `the second server must exit at once\n${second.stderr}`);
    assert.match(
      second.stderr,
      new RegExp(`another ringmaster server is already serving the SQLite database ${path}`),
    );
    assert.match(second.stderr, /PostgreSQL/);
    assert.doesNotMatch(second.stdout, /"msg":"listening"/);

    // Admin commands go on working on the served file, and the server sees what they wrote.
    const created = ringmaster(['tokens', 'create', '--all-accounts', '--permission', 'read'], url);
    assert.equal(created.status, 0, created.stderr);
    const verified = await callApi(running.baseUrl, created.stdout.trim(), 'GET', '/user/tokens/verify');
    assert.equal(verified.status, 200);
    assert.equal(ringmaster(['tokens', 'list'], url).status, 0);
    const exported = ringmaster(['db', 'export'], url);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stdout, /"type":"credential"/);
    assert.equal(ringmaster(['db', 'migrate'], url).status, 0);

    // A server that ended, even by SIGKILL, leaves no lock behind.
    await running.kill();
    running = await startServer({ DATABASE_URL: url });
    assert.equal(await running.stop(), 0);
    running = undefined;
  });

  it('lets two servers serve two different files side by side', async () => {
    running = await startServer({ DATABASE_URL: `sqlite:${join(dir, 'one.db')}` });
    const other = await startServer({ DATABASE_URL: `sqlite:${join(dir, 'two.db')}` });
    assert.equal(await other.stop(), 0);
    assert.equal(await running.stop(), 0);
    running = undefined;
  });
});

describe('a database file that cannot be opened', () => {
  /** Runs `tokens list` (which opens and migrates the file) and expects it refused with `message`. */
  function refused(url: string, message: RegExp, options: RunOptions = {}): void {
    const run = ringmaster(['tokens', 'list'], url, options);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line, no stack trace:\n${run.stderr}`);
  }

  it('names a file that is not an SQLite database', () => {
    const path = join(dir, 'notes.db');
    writeFileSync(path, 'These are my notes, not a database. '.repeat(100));
    refused(
      `sqlite:${path}`,
      new RegExp(
        `cannot open the SQLite database ${path}: file is not a database: ${path} is not an SQLite database`,
      ),
    );
  });

  it('names a path that is a directory', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    refused(`sqlite:${path}`, new RegExp(`${path} is a directory; DATABASE_URL must name a file`));
  });

  it('names a directory that cannot be created', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    refused(`sqlite:${join(file, 'sub', 'x.db')}`, new RegExp(`cannot create its directory ${file}/sub`));
  });

  describe('without write permission', () => {
    const asUser: RunOptions = { withoutPermissionOverride: true };
    let readOnly: string;
    let closedDirectory: string;
    before(() => {
      readOnly = join(dir, 'read-only', 'x.db');
      assert.equal(ringmaster(['db', 'migrate'], `sqlite:${readOnly}`).status, 0);
      chmodSync(readOnly, 0o444);
      chmodSync(join(dir, 'read-only'), 0o555);
      closedDirectory = join(dir, 'closed');
      mkdirSync(closedDirectory, { mode: 0o555 });
      chmodSync(closedDirectory, 0o555);
    });
    after(() => {
      chmodSync(join(dir, 'read-only'), 0o755);
      chmodSync(closedDirectory, 0o755);
    });

    it('names a read-only file and what to make writable', () => {
      refused(
        `sqlite:${readOnly}`,
        new RegExp(
          `cannot open the SQLite database ${readOnly}: attempt to write a readonly database: .*make ${readOnly} and ${join(dir, 'read-only')} writable`,
        ),
        asUser,
      );
    });

    it('names a directory the database cannot be created in', () => {
      const path = join(closedDirectory, 'x.db');
      refused(
        `sqlite:${path}`,
        new RegExp(
          `cannot open the SQLite database ${path}: unable to open database file: make the directory ${closedDirectory} .*writable`,
        ),
        asUser,
      );
    });
  });
});
