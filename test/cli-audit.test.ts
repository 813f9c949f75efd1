// `ringmaster audit list` (docs/contract.md §8.2): the operator reads the audit trail from the database —
// every account's changes and those of all-accounts credentials, or one account's log as the API shows it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { auditEntry, insertSqliteAuditEntries } from './support/audit.ts';
import { runCli } from './support/server.ts';

let dir: string;
let env: Record<string, string>;
const ids: Record<string, string> = {};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ringmaster-cli-audit-'));
  env = { DATABASE_URL: `sqlite:${join(dir, 'x.db')}` };
  // An old change first (entries are listed in the order they were written, which is time order).
  assert.equal(runCli(['db', 'migrate'], env).status, 0);
  insertSqliteAuditEntries(join(dir, 'x.db'), [
    auditEntry({
      at: '2026-07-01T10:00:00.000000000Z',
      actor_email: 'ops@example.com',
      resource_id: 'old-change',
    }),
  ]);
  // Credentials created at the command line write their own entries (one per granted account).
  for (const [name, args] of Object.entries({
    everywhere: ['tokens', 'create', '--all-accounts', '--permission', 'write', '--name', 'everywhere'],
    mine: ['tokens', 'create', '--account', ACCOUNT, '--permission', 'read', '--name', 'mine'],
    theirs: ['tokens', 'create', '--account', OTHER_ACCOUNT, '--permission', 'read', '--name', 'theirs'],
  })) {
    const created = runCli(args, env);
    assert.equal(created.status, 0, created.stderr);
    ids[name] = /Created token ([0-9a-f]{32})/.exec(created.stderr)?.[1] as string;
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

function list(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return runCli(['audit', 'list', ...args], env);
}

test('lists every entry, newest first, as a table', () => {
  const { status, stdout, stderr } = list();
  assert.equal(status, 0, stderr);
  const lines = stdout.trimEnd().split('\n');
  assert.match(lines[0] as string, /^TIME \(UTC\)\s+ACCOUNT\s+ACTOR\s+VIA\s+ACTION\s+RESOURCE\s+REVISION$/);
  assert.equal(lines.length, 1 + 4);
  assert.match(
    lines[1] as string,
    new RegExp(`${OTHER_ACCOUNT}\\s+operator\\s+CLI\\s+create\\s+api_token ${ids.theirs}`),
  );
  assert.match(
    lines[3] as string,
    new RegExp(`\\sall\\s+operator\\s+CLI\\s+create\\s+api_token ${ids.everywhere}`),
  );
  assert.match(
    lines[4] as string,
    /^2026-07-01T10:00:00Z\s.*ops@example\.com \(10\.1\.2\.3\)\s+API\s+update\s+deployment_group old-change\s+2$/,
  );
});

test('--account shows what that account’s log shows: its own entries and the all-accounts credential', () => {
  const { status, stdout, stderr } = list('--account', OTHER_ACCOUNT, '--json');
  assert.equal(status, 0, stderr);
  const entries = JSON.parse(stdout);
  assert.deepEqual(
    entries.map((e: { resource_id: string }) => e.resource_id),
    [ids.theirs, ids.everywhere],
  );
  assert.ok(!stdout.includes('secret'), 'no secret or hash in an entry');
});

test('--since / --before bound the time, --limit the count; --json is an array of stored entries', () => {
  const old = JSON.parse(list('--before', '2026-07-02', '--json').stdout);
  assert.deepEqual(
    old.map((e: { resource_id: string }) => e.resource_id),
    ['old-change'],
  );
  assert.deepEqual(Object.keys(old[0]).slice(0, 3), ['seq', 'id', 'account_id']);
  assert.deepEqual(
    JSON.parse(list('--since', '2026-07-01T10:00:01Z', '--limit', '1', '--json').stdout).length,
    1,
  );
  assert.deepEqual(JSON.parse(list('--since', '2999-01-01', '--json').stdout), []);
  assert.equal(list('--since', '2999-01-01').stderr, 'No audit entries.\n');
});

test('bad values are usage errors (exit 2)', () => {
  for (const args of [
    ['--since', '2026-02-30'],
    ['--account', 'ABC'],
    ['--limit', '0'],
    ['--since', '2026-07-02', '--before', '2026-07-01'],
    ['--page', '2'],
  ]) {
    const result = list(...args);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
  }
});
