// `ringmaster groups …` as a subprocess against a real server, through the official SDK.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ACCOUNT } from './support/app.ts';
import { type CliServer, ROOT, runCli, startCliServer } from './support/server.ts';

let server: CliServer;

before(async () => {
  server = await startCliServer('groups');
});

after(() => server.stop());

const groups = (args: string[], extra: Record<string, string> = {}) =>
  runCli(['groups', ...args], { ...server.env, ...extra });

test('creates, shows, edits, lists and deletes a group', async () => {
  const created = groups([
    'create',
    '--name',
    'Ring 0',
    '--version',
    'windows=2026.6.822.0',
    '--version',
    'default=2026.5.1.0',
    '--policy',
    'cli-p1',
    '--json',
  ]);
  assert.equal(created.status, 0, created.stderr);
  const group = JSON.parse(created.stdout);
  assert.deepEqual(group.version_config, [
    { target_environment: 'windows', version: '2026.6.822.0' },
    { target_environment: null, version: '2026.5.1.0' },
  ]);
  assert.deepEqual(group.policy_ids, ['cli-p1']);

  const shown = groups(['get', group.id]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /^name\s+Ring 0$/m);
  assert.match(shown.stdout, /^versions\s+windows=2026\.6\.822\.0 default=2026\.5\.1\.0$/m);

  const edited = groups(['edit', group.id, '--name', 'Ring 0 = Engineering', '--clear-policies', '--json']);
  assert.equal(edited.status, 0, edited.stderr);
  assert.equal(JSON.parse(edited.stdout).name, 'Ring 0 = Engineering');
  assert.equal(JSON.parse(edited.stdout).policy_ids, null);

  const listed = groups(['list']);
  assert.equal(listed.status, 0, listed.stderr);
  const [header, row] = listed.stdout.trimEnd().split('\n');
  assert.match(header as string, /^ID\s+NAME\s+VERSIONS\s+POLICIES\s+UPDATED \(UTC\)$/);
  assert.match(row as string, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'times carry their zone');
  assert.ok(row?.startsWith(group.id));
  assert.equal(header?.indexOf('NAME'), row?.indexOf('Ring 0 = Engineering'), 'columns are aligned');

  const deleted = groups(['delete', group.id, '--yes']);
  assert.equal(deleted.status, 0, deleted.stderr);
  assert.equal(groups(['get', group.id]).status, 3);
});

test('lists every page as JSON for scripts', async () => {
  for (let i = 0; i < 5; i++) {
    assert.equal(groups(['create', '--name', `Page ${i}`, '--version', 'macos=2026.6.1.0']).status, 0);
  }
  const listed = groups(['list', '--per-page', '2', '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  const names = JSON.parse(listed.stdout).map((g: { name: string }) => g.name);
  assert.deepEqual(names.slice(-5), ['Page 0', 'Page 1', 'Page 2', 'Page 3', 'Page 4']);
});

test('reads a group from a file', async () => {
  const file = join(server.dir, 'group.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'From file',
      version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
    }),
  );
  const created = groups(['create', '--from-file', file, '--policy', 'cli-file', '--json']);
  assert.equal(created.status, 0, created.stderr);
  assert.equal(JSON.parse(created.stdout).name, 'From file');
  assert.deepEqual(JSON.parse(created.stdout).policy_ids, ['cli-file']);
});

test('prints the API’s messages on a conflict and exits 3', async () => {
  const owner = JSON.parse(
    groups([
      'create',
      '--name',
      'Owner',
      '--version',
      'windows=2026.6.822.0',
      '--policy',
      'cli-owned',
      '--json',
    ]).stdout,
  );
  const refused = groups([
    'create',
    '--name',
    'Thief',
    '--version',
    'windows=2026.6.822.0',
    '--policy',
    'cli-owned',
  ]);
  assert.equal(refused.status, 3);
  assert.match(refused.stderr, /409/);
  assert.match(
    refused.stderr,
    new RegExp(`2004: Policy ID cli-owned already belongs to deployment group ${owner.id}`),
  );
  const invalid = groups(['create', '--name', 'Bad', '--version', 'windows=latest']);
  assert.equal(invalid.status, 3);
  assert.match(invalid.stderr, /2001: version must look like .*\(\/version_config\/0\/version\)/);
});

test('tells usage errors and unreachable servers apart by exit code', async () => {
  assert.equal(groups(['create', '--name', 'No versions']).status, 2);
  assert.equal(groups(['frobnicate']).status, 2);
  assert.equal(groups(['get']).status, 2);
  const noToken = runCli(['groups', 'list'], { CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CLOUDFLARE_API_TOKEN: '' });
  assert.equal(noToken.status, 2);
  assert.match(noToken.stderr, /CLOUDFLARE_API_TOKEN/);
  // Nothing listens there (port 9 would not do: fetch refuses it as a "bad port" before connecting).
  const unreachable = groups(['list', '--base-url', 'http://127.0.0.1:65534/client/v4']);
  assert.equal(unreachable.status, 4);
  assert.match(
    unreachable.stderr,
    /cannot reach the server at http:\/\/127\.0\.0\.1:65534\/client\/v4: connect ECONNREFUSED/,
  );
});

test('refuses a --from-file the API would refuse, naming the field, before sending anything', async () => {
  const cases: [unknown, RegExp][] = [
    [{ name: 'Typo', colour: 'red' }, /\/colour: colour is not a known field/],
    [[{ name: 'In an array' }], /: .*must be an object/],
    [
      { name: 'Bad', version_config: [{ target_environment: 'windows', version: 'x' }] },
      /\/version_config\/0\/version: version must look like/,
    ],
  ];
  for (const [content, message] of cases) {
    const file = join(server.dir, 'bad.json');
    writeFileSync(file, JSON.stringify(content));
    // An unreachable server: the file is refused before any request (exit 2, not 4).
    const refused = groups(['create', '--from-file', file, '--base-url', 'http://127.0.0.1:9/client/v4']);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /--from-file .* is not a valid group/);
    assert.match(refused.stderr, message);
  }
});

test('on a terminal, delete asks naming the ring, and keeps it unless told yes', () => {
  const group = JSON.parse(
    groups(['create', '--name', 'Ring 7 (canary)', '--version', 'windows=2026.6.822.0', '--json']).stdout,
  );
  // script(1) gives the command a pseudo-terminal, as a person at a shell would have.
  const onTerminal = (answer: string) =>
    spawnSync(
      'script',
      ['-qec', `node --import tsx src/cli/main.ts groups delete ${group.id}`, '/dev/null'],
      {
        cwd: ROOT,
        env: { ...process.env, ...server.env },
        input: answer,
        encoding: 'utf8',
      },
    );
  const kept = onTerminal('n\n');
  assert.match(
    kept.stdout,
    new RegExp(`Delete deployment group "Ring 7 \\(canary\\)" \\(${group.id}\\)\\? \\[y/N\\]`),
  );
  assert.match(kept.stdout, /not deleted/);
  assert.equal(groups(['get', group.id]).status, 0);
  const deleted = onTerminal('y\n');
  assert.match(deleted.stdout, /Deleted deployment group/);
  assert.equal(groups(['get', group.id]).status, 3);
});

test('refuses to delete without --yes when not on a terminal', async () => {
  const group = JSON.parse(
    groups(['create', '--name', 'Keep', '--version', 'windows=2026.6.822.0', '--json']).stdout,
  );
  const refused = groups(['delete', group.id]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--yes/);
  assert.equal(groups(['get', group.id]).status, 0);
});

test('shows a group’s history, reverts it to a revision, and marks its changes as made through the CLI', async () => {
  const created = groups(['create', '--name', 'History 1', '--version', 'windows=2026.6.822.0', '--json']);
  assert.equal(created.status, 0, created.stderr);
  const { id } = JSON.parse(created.stdout);
  // Replaces a list: sent with If-Match from the state it read.
  const edited = groups(['edit', id, '--name', 'History 2', '--version', 'windows=2026.7.1.0']);
  assert.equal(edited.status, 0, edited.stderr);

  const history = groups(['history', id, '--json']);
  assert.equal(history.status, 0, history.stderr);
  const entries = JSON.parse(history.stdout);
  assert.deepEqual(
    entries.map((e: { revision: number; action: string; actor: { interface: string } }) => [
      e.revision,
      e.action,
      e.actor.interface,
    ]),
    [
      [2, 'update', 'CLI'],
      [1, 'create', 'CLI'],
    ],
  );
  const table = groups(['history', id]);
  assert.match(table.stdout, /^REVISION\s+AT\s+ACTION\s+BY\s+VIA\s+CHANGED$/m);
  assert.match(table.stdout, /^2\s+\S+\s+update\s+operator\s+CLI\s+name, version_config$/m);

  const reverted = groups(['revert', id, '--revision', '1', '--json']);
  assert.equal(reverted.status, 0, reverted.stderr);
  assert.equal(JSON.parse(reverted.stdout).name, 'History 1');
  const missing = groups(['revert', id, '--revision', '9']);
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /2001: the group has no revision 9/);
  assert.equal(groups(['revert', id]).status, 2, 'a revert needs --revision');
});
