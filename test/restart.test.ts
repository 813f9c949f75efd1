// Durability across restarts of the real process on the same SQLite file: a graceful SIGTERM, and a
// SIGKILL right after acknowledged writes (every 200 is sent only after its COMMIT).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { type ApiResponse, callApi } from './support/api.ts';
import { type RunningServer, startServer } from './support/server.ts';

let dir: string;
let env: Record<string, string>;
let token: string;
/** Whichever server is currently running, so that `after` can stop it whatever failed. */
let running: RunningServer | undefined;

function call(server: RunningServer, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  return callApi(server.baseUrl, token, method, path, body);
}

async function ok(server: RunningServer, method: string, path: string, body?: unknown): Promise<any> {
  const response = await call(server, method, path, body);
  assert.equal(response.status, 200, response.text);
  return response.body.result;
}

const groups = (account = ACCOUNT) => `/accounts/${account}/devices/deployment-groups`;
const group = (id: string, account = ACCOUNT) => `${groups(account)}/${id}`;

const newGroup = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  ...extra,
});

/** The raw bytes of every read a client could make, keyed by request. */
async function snapshot(server: RunningServer, ids: string[]): Promise<Map<string, string>> {
  const reads = [
    `${groups()}?per_page=100`,
    `${groups()}?per_page=2&page=1`,
    `${groups()}?per_page=2&page=2`,
    `${groups()}?per_page=2&page=3`,
    `${groups(OTHER_ACCOUNT)}`,
    ...ids.map((id) => group(id)),
  ];
  const result = new Map<string, string>();
  for (const path of reads) {
    const response = await call(server, 'GET', path);
    result.set(path, `${response.status} ${response.text}`);
  }
  return result;
}

async function start(): Promise<RunningServer> {
  running = await startServer(env);
  return running;
}

async function stop(server: RunningServer): Promise<number | null> {
  const code = await server.stop();
  running = undefined;
  return code;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringmaster-restart-'));
  env = { DATABASE_URL: `sqlite:${join(dir, 'x.db')}` };
});

after(async () => {
  if (running) await running.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('data survives a SIGTERM restart byte for byte, and the second start prints no operator token', async () => {
  const first = await start();
  assert.ok(first.operatorToken, 'the first start prints an operator token');
  token = first.operatorToken;

  const neverSet = await ok(first, 'POST', groups(), newGroup('Never set'));
  const empty = await ok(first, 'POST', groups(), newGroup('Empty', { policy_ids: [] }));
  const listed = await ok(first, 'POST', groups(), newGroup('Listed', { policy_ids: ['p-1', 'p-2'] }));
  const edited = await ok(first, 'POST', groups(), newGroup('To edit', { policy_ids: ['p-3'] }));
  const cleared = await ok(first, 'POST', groups(), newGroup('To clear', { policy_ids: ['p-4'] }));
  const doomed = await ok(first, 'POST', groups(), newGroup('To delete', { policy_ids: ['p-5'] }));
  const elsewhere = await ok(
    first,
    'POST',
    groups(OTHER_ACCOUNT),
    newGroup('Other', { policy_ids: ['p-1'] }),
  );

  const afterEdit = await ok(first, 'PATCH', group(edited.id), {
    name: 'Edited ✓ 🎯',
    version_config: [
      { target_environment: 'macos', version: '2026.7.1.1' },
      { target_environment: null, version: '2026.6.822.0' },
    ],
    policy_ids: ['p-3', 'p-6'],
  });
  assert.ok(afterEdit.updated_at > edited.updated_at);
  assert.equal((await ok(first, 'PATCH', group(cleared.id), { policy_ids: null })).policy_ids, null);
  await ok(first, 'DELETE', group(doomed.id));

  const ids = [neverSet.id, empty.id, listed.id, edited.id, cleared.id, doomed.id];
  const before = await snapshot(first, ids);
  assert.match(before.get(group(doomed.id)) ?? '', /^404 /);
  assert.equal(JSON.parse(before.get(group(neverSet.id))?.slice(4) ?? '').result.policy_ids, null);
  assert.deepEqual(JSON.parse(before.get(group(empty.id))?.slice(4) ?? '').result.policy_ids, []);

  assert.equal(await stop(first), 0, 'SIGTERM exits 0');
  assert.match(first.stdout(), /"msg":"shutting down"/);

  const second = await start();
  assert.equal(second.operatorToken, undefined);
  assert.doesNotMatch(second.stderr(), /rmt_/, 'no operator token on the second start');
  assert.doesNotMatch(second.stdout(), /rmt_/);

  assert.deepEqual(await snapshot(second, ids), before);
  assert.deepEqual((await ok(second, 'GET', group(elsewhere.id, OTHER_ACCOUNT))).policy_ids, ['p-1']);

  // Policy ownership survived too: held IDs conflict, freed ones (cleared, deleted) are free.
  const conflict = await call(second, 'POST', groups(), newGroup('Claimant', { policy_ids: ['p-6'] }));
  assert.equal(conflict.status, 409);
  assert.match(conflict.body.errors[0].message, new RegExp(edited.id));
  await ok(second, 'POST', groups(), newGroup('Reclaims freed', { policy_ids: ['p-4', 'p-5'] }));

  assert.equal(await stop(second), 0);
});

test('a SIGKILL right after acknowledged writes loses none of them', async () => {
  const server = await start();
  assert.equal(server.operatorToken, undefined);
  const existing: any[] = (await ok(server, 'GET', `${groups()}?per_page=100`)) as any[];
  assert.ok(existing.length >= 2);
  const [toEdit, toDelete] = existing;

  // A burst of concurrent writes of every kind, then SIGKILL the moment the last 200 arrives.
  const writes = await Promise.all([
    ...Array.from({ length: 20 }, (_, i) =>
      ok(server, 'POST', groups(), newGroup(`Burst ${i}`, { policy_ids: [`burst-${i}`] })),
    ),
    ok(server, 'PATCH', group(toEdit.id), { name: 'Edited just before the kill', policy_ids: ['kill-edit'] }),
    ok(server, 'DELETE', group(toDelete.id)),
  ]);
  await server.kill();
  running = undefined;
  const created = writes.slice(0, 20);
  const edited = writes[20];

  const revived = await start();
  assert.equal(revived.operatorToken, undefined);
  for (const g of created) assert.deepEqual(await ok(revived, 'GET', group(g.id)), g);
  assert.deepEqual(await ok(revived, 'GET', group(toEdit.id)), edited);
  assert.equal((await call(revived, 'GET', group(toDelete.id))).status, 404);

  const all: any[] = await ok(revived, 'GET', `${groups()}?per_page=100`);
  assert.equal(all.length, existing.length - 1 + 20);
  const conflict = await call(revived, 'POST', groups(), newGroup('Late', { policy_ids: ['burst-7'] }));
  assert.equal(conflict.status, 409, 'the killed process’s policy claims persisted too');

  assert.equal(await stop(revived), 0);
});
