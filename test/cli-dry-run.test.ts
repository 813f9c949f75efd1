// `ringmaster groups create|edit|delete --dry-run` as a subprocess against a real server (test mode, in
// process, so that a fault rule can hold a request): the preview route answers, nothing is written, and a
// refusal exits as the real command's would (docs/contract.md §8.3).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Ringmaster, startRingmaster } from '../src/testing/index.ts';
import { runCliAsync } from './support/server.ts';

let rm: Ringmaster;
let env: Record<string, string>;

before(async () => {
  rm = await startRingmaster();
  env = {
    CLOUDFLARE_BASE_URL: rm.baseURL,
    CLOUDFLARE_API_TOKEN: rm.apiToken,
    CLOUDFLARE_ACCOUNT_ID: rm.accountId,
  };
});

after(() => rm.stop());

const groups = (...args: string[]) => runCliAsync(['groups', ...args], env);

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${rm.origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${rm.apiToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const GROUPS = () => `/client/v4/accounts/${rm.accountId}/devices/deployment-groups`;

/** Everything a write could change: the groups (as stored) and the audit trail. */
async function state() {
  const listed = await api('GET', `${GROUPS()}?per_page=100`);
  const audit = await api('GET', `/client/v4/accounts/${rm.accountId}/audit_logs?per_page=1000`);
  return { groups: listed.body.result, audit: audit.body.result.map((e: { id: string }) => e.id) };
}

async function createGroup(name: string, policyIds: string[] = []) {
  const body = { name, version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }] };
  const created = await api('POST', GROUPS(), { ...body, policy_ids: policyIds });
  assert.equal(created.status, 200);
  return created.body.result as { id: string; name: string };
}

test('create --dry-run prints the group it would create and its fields, and creates nothing', async () => {
  await createGroup('Existing');
  const before = await state();
  await rm.clearRequests();
  const args = ['create', '--name', 'Ring 9', '--version', 'windows=2026.6.822.0', '--dry-run'];
  const shown = await groups(...args);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /^Would create a deployment group\.$/m);
  assert.match(shown.stdout, /^FIELD\s+BEFORE\s+AFTER$/m);
  assert.match(shown.stdout, /^name\s+\(none\)\s+Ring 9$/m);
  assert.match(shown.stdout, /^version_config\s+\(none\)\s+windows=2026\.6\.822\.0$/m);
  assert.match(shown.stdout, /^versions\s+windows=2026\.6\.822\.0$/m, 'the resulting group');
  assert.match(shown.stderr, /Dry run: nothing was written/);

  const json = await groups(...args, '--json');
  assert.equal(json.status, 0, json.stderr);
  const result = JSON.parse(json.stdout);
  assert.equal(result.deployment_group.name, 'Ring 9');
  assert.deepEqual(
    result.changes.map((c: { field: string }) => c.field),
    ['id', 'name', 'version_config', 'policy_ids', 'created_at'],
  );
  assert.deepEqual(await state(), before, 'no group and no audit entry written');
  const paths = (await rm.requests()).map((r) => `${r.method} ${r.path}`);
  assert.ok(
    paths.every((p) => p.startsWith('GET ') || p.endsWith('/deployment-groups/preview')),
    `only reads and previews were sent: ${paths}`,
  );
});

test('edit --dry-run shows what would change field by field (with If-Match) and changes nothing', async () => {
  const group = await createGroup('Ring 1', ['dry-p1']);
  const before = await state();
  const shown = await groups(
    'edit',
    group.id,
    '--name',
    'Ring 1 renamed',
    '--version',
    'windows=2026.7.1.0',
    '--dry-run',
  );
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^Would update deployment group ${group.id}\\.$`, 'm'));
  assert.match(shown.stdout, /^name\s+Ring 1\s+Ring 1 renamed$/m);
  assert.match(shown.stdout, /^version_config\s+windows=2026\.6\.822\.0\s+windows=2026\.7\.1\.0$/m);
  const [changes, resulting] = shown.stdout.split('Resulting group:');
  assert.doesNotMatch(changes as string, /^policy_ids\s/m, 'an unchanged field is not listed');
  assert.match(resulting as string, /^policy_ids\s+dry-p1$/m, 'the resulting group keeps its policies');

  const unchanged = await groups('edit', group.id, '--name', 'Ring 1', '--dry-run', '--json');
  assert.equal(unchanged.status, 0, unchanged.stderr);
  assert.deepEqual(JSON.parse(unchanged.stdout).changes, []);
  assert.deepEqual(await state(), before);
});

test('delete --dry-run needs no confirmation, shows what would go, and deletes nothing', async () => {
  const group = await createGroup('Ring 2');
  const before = await state();
  // Not a terminal and no --yes: the real delete would refuse to run; a dry run writes nothing to confirm.
  const shown = await groups('delete', group.id, '--dry-run');
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^Would delete deployment group ${group.id}\\.$`, 'm'));
  assert.match(shown.stdout, /^name\s+Ring 2\s+\(none\)$/m);
  assert.doesNotMatch(shown.stdout, /Resulting group/);
  const json = await groups('delete', group.id, '--dry-run', '--json');
  assert.equal(JSON.parse(json.stdout).deployment_group, null);
  assert.deepEqual(await state(), before);
});

test('a dry run the server would refuse exits and prints exactly as the real command', async () => {
  const owner = await createGroup('Owner', ['dry-owned']);
  const missing = '00000000-0000-4000-8000-000000000000';
  const cases: [string[], RegExp][] = [
    [['create', '--name', 'Thief', '--version', 'windows=2026.6.822.0', '--policy', 'dry-owned'], /409/],
    [['create', '--name', 'Bad', '--version', 'windows=latest'], /2001: .*\(\/version_config\/0\/version\)/],
    [['edit', owner.id, '--version', 'linux=2026.6.822.0'], /2001: .*\(\/version_config\/0\/target_env/],
    [['edit', missing, '--name', 'Nobody'], /404[\s\S]*2002: /],
    [['delete', missing, '--yes'], /404[\s\S]*2002: /],
  ];
  for (const [args, message] of cases) {
    const before = await state();
    const dry = await groups(...args, '--dry-run');
    assert.equal(dry.status, 3, `${args.join(' ')}: ${dry.stderr}`);
    assert.match(dry.stderr, message);
    assert.deepEqual(await state(), before);
    const real = await groups(...args);
    assert.equal(real.status, 3);
    assert.equal(dry.stderr, real.stderr, `the same messages as the real ${args[0]}`);
  }
});

test('edit --dry-run sends the If-Match it read: a change made meanwhile is 412 2007, exit 3', async () => {
  const group = await createGroup('Ring 3');
  // The preview is held for a while after the CLI has read the group's tag; the group changes meanwhile.
  await rm.fault({ match: { method: 'POST', path: '/**/preview' }, respond: { delay_ms: 1500 }, times: 1 });
  await rm.clearRequests();
  const running = groups('edit', group.id, '--version', 'windows=2026.7.1.0', '--dry-run');
  for (;;) {
    const read = (await rm.requests()).some((r) => r.method === 'GET' && r.path.endsWith(group.id));
    if (read) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal((await api('PATCH', `${GROUPS()}/${group.id}`, { name: 'Ring 3 meanwhile' })).status, 200);
  const before = await state();
  const dry = await running;
  assert.equal(dry.status, 3, dry.stderr);
  assert.match(dry.stderr, /412[\s\S]*2007: /);
  assert.deepEqual(await state(), before);
  await rm.clearFaults();
});

test('the help lists --dry-run for create, edit and delete', async () => {
  for (const command of ['create', 'edit', 'delete']) {
    const help = await groups(command, '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--dry-run/);
  }
});
