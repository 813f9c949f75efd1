// `ringmaster db export` / `db import` through the real CLI: an installation moves from SQLite to
// PostgreSQL and back without loss, checked byte for byte on the backup files, and with the moved
// credentials still working. The PostgreSQL half runs only with RINGMASTER_TEST_POSTGRES_URL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMAND_LINE } from '../src/audit/context.ts';
import { formatTimestamp, parseTimestamp } from '../src/clock.ts';
import type { BackupRecord } from '../src/store/backup.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import {
  createTestDatabase,
  POSTGRES_URL,
  reportPostgresSkipped,
  type TestDatabase,
} from './support/postgres.ts';
import { ROOT, startServer } from './support/server.ts';

/** Enough groups to cross the progress interval (10,000) and several import batches. */
const BULK = 12_000;

reportPostgresSkipped('PostgreSQL export/import round trip');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI with `input` on stdin. */
function ringmaster(
  args: string[],
  databaseUrl: string,
  input?: string,
  env: Record<string, string> = {},
): Run {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, ...env },
    input: input ?? '',
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function exportFrom(databaseUrl: string): string {
  const run = ringmaster(['db', 'export'], databaseUrl);
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

function importInto(databaseUrl: string, backup: string, ...flags: string[]): Run {
  return ringmaster(['db', 'import', ...flags], databaseUrl, backup);
}

describe('db export and db import', () => {
  let dir: string;
  let source: string;
  let secrets: { live: string; revoked: string; key: string };
  let original: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringmaster-backup-'));
    source = `sqlite:${join(dir, 'source.db')}`;
    // Credentials made by the CLI itself, so their secrets can prove they still work after the move.
    const token = (args: string[]) => {
      const run = ringmaster(args, source);
      assert.equal(run.status, 0, run.stderr);
      return run.stdout.trim();
    };
    secrets = {
      live: token(['tokens', 'create', '--all-accounts', '--permission', 'write', '--name', 'operator']),
      revoked: token([
        'tokens',
        'create',
        '--account',
        ACCOUNT,
        '--permission',
        'read',
        '--expires-in',
        '30d',
      ]),
      key: token([
        'keys',
        'create',
        '--email',
        'Ops@Example.com',
        '--account',
        ACCOUNT,
        '--account',
        OTHER_ACCOUNT,
      ]),
    };
    const listed = ringmaster(['tokens', 'list'], source).stdout.split('\n');
    const revokedId = listed.find((line) => line.includes('read'))?.split(/\s+/)[0] as string;
    assert.equal(ringmaster(['tokens', 'revoke', revokedId], source).status, 0);

    // Groups: every shape the contract allows, then bulk.
    const store = openSqliteStore({ path: join(dir, 'source.db') });
    const credentials = await store.listCredentials();
    let clock = parseTimestamp('2026-07-01T12:00:00.000000000Z');
    const at = () => {
      clock += 1_234_567n;
      return formatTimestamp(clock);
    };
    async function* groups(): AsyncGenerator<BackupRecord> {
      const tied = at();
      const shapes = [
        { name: 'null policies', policy_ids: null },
        { name: 'empty policies', policy_ids: [] },
        { name: 'listed policies', policy_ids: ['zz-last', 'aa-first', 'MM-middle'] },
        // Every character the API accepts that JSON or SQL could mangle: quotes, a backslash, an emoji
        // joined with U+200D, combining marks. (A newline is not a name the API accepts, so no backup has one.)
        { name: 'Ring 0 🚀 "quotes" \\ and 👩‍💻, ünïcödé', policy_ids: ['p-unicode'] },
      ];
      for (const [i, shape] of shapes.entries()) {
        yield {
          type: 'deployment_group',
          account_id: i % 2 ? OTHER_ACCOUNT : ACCOUNT,
          id: randomUUID(),
          name: shape.name,
          version_config: [
            { target_environment: 'macos', version: '2026.6.1.1' },
            { target_environment: null, version: '2026.5.822.0' },
          ],
          policy_ids: shape.policy_ids,
          created_at: tied,
          updated_at: at(),
        };
      }
      for (let i = 0; i < BULK; i++) {
        const created = at();
        yield {
          type: 'deployment_group',
          account_id: ACCOUNT,
          id: randomUUID(),
          name: `bulk ${i}`,
          version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
          policy_ids: i % 3 === 0 ? null : [`bulk-${i}-a`, `bulk-${i}-b`],
          created_at: created,
          updated_at: created,
        };
      }
      for (const credential of credentials) yield { type: 'credential', ...credential };
    }
    await store.importRecords(groups(), { replace: true });
    // One change through the store, so that the backup carries an audit entry and a revision 2.
    const [renamed] = (await store.listDeploymentGroups(ACCOUNT, { limit: 1, offset: 0 })).groups;
    await store.updateDeploymentGroup(
      ACCOUNT,
      renamed?.id as string,
      ({ group }) => ({ ...group, name: 'renamed', updated_at: at() }),
      { context: COMMAND_LINE },
    );
    await store.close();

    const run = ringmaster(['db', 'export'], source);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /exported 10000 records/);
    assert.match(
      run.stderr,
      new RegExp(`Exported ${BULK + 4} deployment groups, 3 credentials and 1 audit entry`),
    );
    original = run.stdout;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a header, one record per line and a trailer with the counts', () => {
    const lines = original.trimEnd().split('\n');
    assert.deepEqual(JSON.parse(lines[0] as string), {
      type: 'header',
      format: 'ringmaster-backup',
      version: 3,
    });
    assert.deepEqual(JSON.parse(lines.at(-1) as string), {
      type: 'end',
      deployment_groups: BULK + 4,
      credentials: 3,
      audit_entries: 1,
      idempotency_keys: 0,
      rollouts: 0,
    });
    assert.equal(lines.length, BULK + 4 + 3 + 1 + 2);
    const entry = JSON.parse(lines.at(-2) as string);
    assert.equal(entry.type, 'audit_entry');
    assert.equal(entry.after.name, 'renamed');
    const revised = lines.map((line) => JSON.parse(line)).find((r) => r.id === entry.resource_id);
    assert.equal(revised.revision, 2);
    const key = lines
      .map((line) => JSON.parse(line))
      .find((r) => r.type === 'credential' && r.kind === 'key');
    assert.equal(key.email, 'ops@example.com');
    assert.match(key.secret_hash, /^[0-9a-f]{64}$/);
    assert.ok(!original.includes(secrets.key), 'secrets themselves are never exported');
  });

  it('round-trips SQLite → SQLite to identical files', () => {
    const copy = `sqlite:${join(dir, 'copy.db')}`;
    const run = importInto(copy, original);
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`Imported ${BULK + 4} deployment groups, 3 credentials and 1 audit entry`),
    );
    assert.equal(exportFrom(copy), original);
  });

  it('still imports a version 1 backup: no revisions (each group starts at 1), no audit log', () => {
    const v1 = original
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((record) => record.type !== 'audit_entry')
      .map((record) => {
        if (record.type === 'header') return { ...record, version: 1 };
        if (record.type === 'end') return { type: 'end', deployment_groups: BULK + 4, credentials: 3 };
        const { revision: _, ...rest } = record;
        return rest;
      });
    const target = `sqlite:${join(dir, 'from-v1.db')}`;
    const run = importInto(target, v1.map((record) => `${JSON.stringify(record)}\n`).join(''));
    assert.equal(run.status, 0, run.stderr);
    const again = exportFrom(target)
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(again[0].version, 3);
    const groups = again.filter((record) => record.type === 'deployment_group');
    assert.equal(groups.length, BULK + 4);
    assert.ok(groups.every((group) => group.revision === 1));
    assert.equal(again.filter((record) => record.type === 'audit_entry').length, 0);
  });

  it('refuses a non-empty target without --replace, and replaces it with --replace', () => {
    const target = `sqlite:${join(dir, 'busy.db')}`;
    const created = ringmaster(['tokens', 'create', '--all-accounts', '--permission', 'read'], target);
    assert.equal(created.status, 0, created.stderr);
    const before = exportFrom(target);

    const refused = importInto(target, original);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /not empty.*--replace/s);
    assert.equal(exportFrom(target), before, 'nothing was imported');

    const replaced = importInto(target, original, '--replace');
    assert.equal(replaced.status, 0, replaced.stderr);
    assert.equal(exportFrom(target), original);
  });

  it('imports nothing from a truncated or altered backup', () => {
    const target = `sqlite:${join(dir, 'damaged.db')}`;
    const lines = original.split('\n');
    const truncated = importInto(target, lines.slice(0, 5000).join('\n'));
    assert.equal(truncated.status, 1);
    assert.match(truncated.stderr, /ends without its "end" record/);

    const altered = [...lines];
    altered[3] = (altered[3] as string).replace(/"created_at":"[^"]+"/, '"created_at":"yesterday"');
    const invalid = importInto(target, altered.join('\n'));
    assert.equal(invalid.status, 1);
    assert.match(invalid.stderr, /line 4: \/created_at/);

    assert.equal(
      exportFrom(target),
      `${lines[0]}\n{"type":"end","deployment_groups":0,"credentials":0,"audit_entries":0,"idempotency_keys":0,"rollouts":0}\n`,
    );
  });

  describe('between SQLite and PostgreSQL', { skip: !POSTGRES_URL }, () => {
    let first: TestDatabase;
    let second: TestDatabase;
    before(async () => {
      first = await createTestDatabase();
      second = await createTestDatabase();
    });
    after(async () => {
      await first?.drop();
      await second?.drop();
    });

    it('moves an installation SQLite → PostgreSQL → SQLite to identical files', () => {
      const toPostgres = importInto(first.url, original);
      assert.equal(toPostgres.status, 0, toPostgres.stderr);
      assert.match(toPostgres.stderr, /read 10000 records/);
      const fromPostgres = exportFrom(first.url);
      assert.equal(fromPostgres, original);

      const back = `sqlite:${join(dir, 'back.db')}`;
      assert.equal(importInto(back, fromPostgres).status, 0);
      assert.equal(exportFrom(back), original);
    });

    it('refuses a non-empty PostgreSQL target without --replace', () => {
      const refused = importInto(first.url, original);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /not empty/);
      const replaced = importInto(first.url, original, '--replace');
      assert.equal(replaced.status, 0, replaced.stderr);
      assert.equal(exportFrom(first.url), original);
    });

    it('serves the moved groups and accepts the moved credentials, revocation included', async () => {
      assert.equal(importInto(second.url, original).status, 0);
      const server = await startServer({ DATABASE_URL: second.url });
      try {
        assert.equal(server.operatorToken, undefined, 'the moved installation already has its operator');
        const get = (path: string, headers: Record<string, string>) =>
          fetch(server.baseUrl + path, { headers });
        const verify = (secret: string) => get('/user/tokens/verify', { authorization: `Bearer ${secret}` });
        assert.equal((await verify(secrets.live)).status, 200);
        assert.equal((await verify(secrets.revoked)).status, 401);
        const page = await get(`/accounts/${ACCOUNT}/devices/deployment-groups?per_page=2`, {
          'x-auth-email': 'ops@example.com',
          'x-auth-key': secrets.key,
        });
        assert.equal(page.status, 200);
        const body = await page.json();
        assert.equal(body.result_info.total_count, BULK + 2);
        // The first two groups were created at the same instant (so their order is by id).
        assert.deepEqual(
          body.result.map((g: { policy_ids: unknown }) => JSON.stringify(g.policy_ids)).sort(),
          ['["zz-last","aa-first","MM-middle"]', 'null'],
        );
      } finally {
        await server.stop();
      }
    });
  });
});

describe('db import checks every line with the API’s rules', () => {
  let dir: string;
  let count = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ringmaster-import-rules-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const HEADER = { type: 'header', format: 'ringmaster-backup', version: 1 };
  const group = (overrides: Record<string, unknown> = {}) => ({
    type: 'deployment_group',
    account_id: ACCOUNT,
    id: randomUUID(),
    name: 'Ring 0',
    version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
    policy_ids: null,
    created_at: '2026-07-01T12:00:00.000000000Z',
    updated_at: '2026-07-01T12:00:00.000000000Z',
    ...overrides,
  });
  const credential = (overrides: Record<string, unknown> = {}) => ({
    type: 'credential',
    id: randomUUID().replaceAll('-', ''),
    kind: 'token',
    name: null,
    email: null,
    secret_hash: randomUUID().replaceAll('-', '').repeat(2),
    permission: 'write',
    accounts: null,
    created_at: '2026-07-01T12:00:00.000000000Z',
    expires_at: null,
    revoked_at: null,
    ...overrides,
  });
  /** A backup of these records, with the header and a trailer that counts them. */
  const backup = (...records: { type: string }[]) =>
    [
      HEADER,
      ...records,
      {
        type: 'end',
        deployment_groups: records.filter((r) => r.type === 'deployment_group').length,
        credentials: records.filter((r) => r.type === 'credential').length,
      },
    ]
      .map((record) => `${JSON.stringify(record)}\n`)
      .join('');

  /** Imports into a new database; returns the run and what that database holds afterwards. */
  function importFresh(text: string, env: Record<string, string> = {}) {
    const target = `sqlite:${join(dir, `${++count}.db`)}`;
    const run = ringmaster(['db', 'import'], target, text, env);
    return { run, holds: exportFrom(target) };
  }
  /** What an empty store exports (in the current format; these checks feed it version 1 files). */
  const EMPTY =
    '{"type":"header","format":"ringmaster-backup","version":3}\n{"type":"end","deployment_groups":0,"credentials":0,"audit_entries":0,"idempotency_keys":0,"rollouts":0}\n';

  const refusals: [string, string, RegExp][] = [
    [
      'a version that is not YYYY.M.BUILD.TRACK',
      backup(group({ version_config: [{ target_environment: 'windows', version: 'banana' }] })),
      /line 2: \/version_config\/0\/version: .*2026\.6\.822\.0/,
    ],
    ['an empty name', backup(group({ name: '' })), /line 2: \/name: /],
    [
      'a name with a right-to-left override',
      backup(group({ name: 'Ring \u202e0' })),
      /line 2: \/name: .*U\+202E/,
    ],
    [
      'an environment that is not configured',
      backup(group({ version_config: [{ target_environment: 'beos', version: '2026.6.822.0' }] })),
      /line 2: \/version_config\/0\/target_environment: .*"windows", "macos", null/,
    ],
    [
      'an account ID that is not 32 hex digits',
      backup(group({ account_id: 'NOPE' })),
      /line 2: \/account_id: /,
    ],
    ['a group id that is not a UUID', backup(group({ id: 'x' })), /line 2: \/id: .*UUID/],
    [
      'too many policy IDs',
      backup(group({ policy_ids: Array.from({ length: 1001 }, (_, i) => `p-${i}`) })),
      /line 2: \/policy_ids: /,
    ],
    [
      'a policy ID listed twice in a group',
      backup(group({ policy_ids: ['a', 'b', 'a'] })),
      /line 2: \/policy_ids\/2: /,
    ],
    [
      'a credential for an account that cannot exist',
      backup(credential({ accounts: ['NOPE'] })),
      /line 2: \/accounts\/0: /,
    ],
  ];
  for (const [what, text, message] of refusals) {
    it(`refuses ${what}, naming the line and the JSON pointer, and imports nothing`, () => {
      const { run, holds } = importFresh(text);
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /the backup is invalid, nothing was imported/);
      assert.match(run.stderr, message);
      assert.equal(holds, EMPTY);
    });
  }

  it('refuses a group id, a credential id or a policy ID of one account given twice, naming both lines', () => {
    const first = group();
    const twice = importFresh(backup(group(), first, group({ id: first.id })));
    assert.equal(twice.run.status, 1);
    assert.match(twice.run.stderr, new RegExp(`line 4: /id: deployment group ${first.id} is also on line 3`));
    assert.doesNotMatch(twice.run.stderr, /UNIQUE constraint/);
    assert.equal(twice.holds, EMPTY);

    const claimed = importFresh(
      backup(group({ policy_ids: ['x', 'shared'] }), group({ policy_ids: ['shared'] })),
    );
    assert.equal(claimed.run.status, 1);
    assert.match(
      claimed.run.stderr,
      /line 3: \/policy_ids\/0: policy ID shared of account \w+ is also claimed by the deployment group on line 2/,
    );
    assert.equal(claimed.holds, EMPTY);

    const token = credential();
    const copied = importFresh(backup(token, credential({ id: token.id })));
    assert.equal(copied.run.status, 1);
    assert.match(copied.run.stderr, new RegExp(`line 3: /id: credential ${token.id} is also on line 2`));
    assert.equal(copied.holds, EMPTY);
  });

  it('accepts what the API accepts: the configured environments, one policy ID in two accounts', () => {
    const text = backup(
      group({
        version_config: [{ target_environment: 'linux', version: '2026.6.822.0' }],
        policy_ids: ['shared'],
      }),
      group({ account_id: OTHER_ACCOUNT, name: 'Ring 👩‍💻', policy_ids: ['shared'] }),
    );
    const { run, holds } = importFresh(text, { TARGET_ENVIRONMENTS: 'windows,macos,linux' });
    assert.equal(run.status, 0, run.stderr);
    // Exported in version 3: each group at revision 1, and the trailer's three new counts.
    const upgraded = text
      .replace('"version":1', '"version":3')
      .replaceAll('Z"}\n', 'Z","revision":1}\n')
      .replace('"credentials":0}', '"credentials":0,"audit_entries":0,"idempotency_keys":0,"rollouts":0}');
    assert.equal(holds, upgraded);
  });
});
