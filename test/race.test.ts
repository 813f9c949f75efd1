// Policy ownership under concurrency (docs/contract.md §5): the rule is enforced by the store's unique key,
// so requests racing over real sockets cannot both win a policy ID.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ApiResponse, callApi } from './support/api.ts';
import { type RunningServer, startServer } from './support/server.ts';

const CONCURRENCY = 30;

let dir: string;
let server: RunningServer;
let token: string;

function call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
  return callApi(server.baseUrl, token, method, path, body);
}

const groupsPath = (account: string) => `/accounts/${account}/devices/deployment-groups`;

const newGroup = (name: string, policyIds?: string[]) => ({
  name,
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  ...(policyIds === undefined ? {} : { policy_ids: policyIds }),
});

/** Every group of the account, read page by page through the public API. */
async function listAll(
  account: string,
): Promise<{ id: string; name: string; policy_ids: string[] | null }[]> {
  const all = [];
  for (let page = 1; ; page++) {
    const { status, body } = await call('GET', `${groupsPath(account)}?per_page=100&page=${page}`);
    assert.equal(status, 200);
    if (body.result.length === 0) return all;
    all.push(...body.result);
  }
}

function assertConflict(response: ApiResponse, policyId: string, winnerId: string): void {
  assert.equal(response.status, 409);
  assert.equal(response.headers.get('x-should-retry'), 'false');
  assert.equal(response.body.success, false);
  assert.equal(response.body.result, null);
  assert.equal(response.body.errors.length, 1);
  const [error] = response.body.errors;
  assert.equal(error.code, 2004);
  assert.match(error.message, new RegExp(`${policyId}.*${winnerId}`));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringmaster-race-'));
  server = await startServer({ DATABASE_URL: `sqlite:${join(dir, 'x.db')}` });
  assert.ok(server.operatorToken);
  token = server.operatorToken;
});

after(async () => {
  const exitCode = server ? await server.stop() : 0;
  rmSync(dir, { recursive: true, force: true });
  assert.equal(exitCode, 0);
});

test('of 30 concurrent PATCHes adding the same policy to different groups, exactly one wins', async () => {
  const account = 'a0000000000000000000000000000001';
  const policyId = 'race-patch-policy';
  const created = await Promise.all(
    Array.from({ length: CONCURRENCY }, (_, i) => call('POST', groupsPath(account), newGroup(`Group ${i}`))),
  );
  for (const response of created) assert.equal(response.status, 200);
  const ids: string[] = created.map((r) => r.body.result.id);

  const responses = await Promise.all(
    ids.map((id) =>
      call('PATCH', `${groupsPath(account)}/${id}`, { name: 'Claimed', policy_ids: [policyId] }),
    ),
  );

  const winners = responses.filter((r) => r.status === 200);
  assert.equal(winners.length, 1, `statuses: ${responses.map((r) => r.status).join(',')}`);
  const winnerId: string = winners[0]?.body.result.id;
  assert.deepEqual(winners[0]?.body.result.policy_ids, [policyId]);
  const losers = responses.filter((r) => r.status !== 200);
  assert.equal(losers.length, CONCURRENCY - 1);
  for (const loser of losers) assertConflict(loser, policyId, winnerId);

  const groups = await listAll(account);
  assert.equal(groups.length, CONCURRENCY);
  const holders = groups.filter((g) => g.policy_ids?.includes(policyId));
  assert.deepEqual(
    holders.map((g) => g.id),
    [winnerId],
  );
  // A 409 changes nothing: not even the name sent alongside the policy.
  const renamed = groups.filter((g) => g.name === 'Claimed');
  assert.deepEqual(
    renamed.map((g) => g.id),
    [winnerId],
  );
  for (const group of groups) if (group.id !== winnerId) assert.equal(group.policy_ids, null);
});

test('of 30 concurrent PATCHes claiming two policies in opposite orders, one wins both and no claim is partial', async () => {
  const account = 'a0000000000000000000000000000002';
  const created = await Promise.all(
    Array.from({ length: CONCURRENCY }, (_, i) => call('POST', groupsPath(account), newGroup(`Group ${i}`))),
  );
  const ids: string[] = created.map((r) => r.body.result.id);

  const responses = await Promise.all(
    ids.map((id, i) =>
      call('PATCH', `${groupsPath(account)}/${id}`, {
        policy_ids: i % 2 === 0 ? ['race-pair-a', 'race-pair-b'] : ['race-pair-b', 'race-pair-a'],
      }),
    ),
  );
  assert.equal(responses.filter((r) => r.status === 200).length, 1);
  assert.equal(responses.filter((r) => r.status === 409).length, CONCURRENCY - 1);
  for (const loser of responses.filter((r) => r.status === 409)) {
    assert.deepEqual(
      loser.body.errors.map((e: { code: number }) => e.code),
      [2004, 2004],
      'both conflicting IDs are listed',
    );
  }

  const holders = (await listAll(account)).filter((g) => g.policy_ids !== null);
  assert.equal(holders.length, 1);
  assert.deepEqual([...(holders[0]?.policy_ids ?? [])].sort(), ['race-pair-a', 'race-pair-b']);
});

test('of 30 concurrent POSTs claiming one policy, exactly one group is created', async () => {
  const account = 'a0000000000000000000000000000003';
  const policyId = 'race-post-policy';

  const responses = await Promise.all(
    Array.from({ length: CONCURRENCY }, (_, i) =>
      call('POST', groupsPath(account), newGroup(`Claimant ${i}`, [policyId])),
    ),
  );

  const winners = responses.filter((r) => r.status === 200);
  assert.equal(winners.length, 1, `statuses: ${responses.map((r) => r.status).join(',')}`);
  const winnerId: string = winners[0]?.body.result.id;
  const losers = responses.filter((r) => r.status !== 200);
  for (const loser of losers) assertConflict(loser, policyId, winnerId);

  const groups = await listAll(account);
  assert.deepEqual(
    groups.map((g) => [g.id, g.policy_ids]),
    [[winnerId, [policyId]]],
  );
});

test('a policy freed by a delete can be won again by exactly one of 30 concurrent claimants', async () => {
  const account = 'a0000000000000000000000000000004';
  const policyId = 'race-freed-policy';
  const first = await call('POST', groupsPath(account), newGroup('First owner', [policyId]));
  assert.equal(first.status, 200);
  assert.equal((await call('DELETE', `${groupsPath(account)}/${first.body.result.id}`)).status, 200);

  const responses = await Promise.all(
    Array.from({ length: CONCURRENCY }, (_, i) =>
      call('POST', groupsPath(account), newGroup(`Claimant ${i}`, [policyId])),
    ),
  );
  assert.equal(responses.filter((r) => r.status === 200).length, 1);
  assert.equal(responses.filter((r) => r.status === 409).length, CONCURRENCY - 1);
  assert.equal((await listAll(account)).length, 1);
});
