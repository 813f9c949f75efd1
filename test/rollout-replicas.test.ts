// Each rollout stage applies exactly once across real `ringmaster serve` processes on one PostgreSQL
// database (docs/contract.md §8.5, docs/decisions/0013-rollout-scheduler.md): three replicas racing for many
// due stages; a replica SIGKILLed while it holds a stage mid-apply; a stage that fell due while no server
// ran, applied at the next start. Time across processes: stages are made due by start_at in the past and
// waits of 0s, and "a day passed while nothing ran" by moving a stored due_at back. Runs only with
// RINGMASTER_TEST_POSTGRES_URL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ACCOUNT } from './support/accounts.ts';
import { callApi } from './support/api.ts';
import {
  createTestDatabase,
  POSTGRES_URL,
  reportPostgresSkipped,
  type TestDatabase,
} from './support/postgres.ts';
import { type RunningServer, startServer } from './support/server.ts';

reportPostgresSkipped('rollout scheduler across replicas');

const GROUPS = `/accounts/${ACCOUNT}/devices/deployment-groups`;
const ROLLOUTS = `/ringmaster/v1/accounts/${ACCOUNT}/rollouts`;
const NEW = '2026.6.822.0';
const AN_HOUR_AGO = () => new Date(Date.now() - 3_600_000).toISOString();

type Json = any;

describe('rollout stages across replicas on one PostgreSQL database', { skip: !POSTGRES_URL }, () => {
  let database: TestDatabase;
  let token: string;
  const servers: RunningServer[] = [];

  const origin = (server: RunningServer) => server.baseUrl.replace(/\/client\/v4$/, '');
  const call = (server: RunningServer, method: string, path: string, body?: unknown) =>
    callApi(path.startsWith('/ringmaster') ? origin(server) : server.baseUrl, token, method, path, body);

  async function start(): Promise<RunningServer> {
    const server = await startServer({ DATABASE_URL: database.url });
    servers.push(server);
    return server;
  }

  async function rings(server: RunningServer, count: number, label: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await call(server, 'POST', GROUPS, {
        name: `${label} ${i}`,
        version_config: [{ target_environment: 'windows', version: '2026.1.1.0' }],
      });
      assert.equal(created.status, 200, created.text);
      ids.push(created.body.result.id);
    }
    return ids;
  }

  async function createRollout(server: RunningServer, name: string, stages: Json[]): Promise<Json> {
    const created = await call(server, 'POST', ROLLOUTS, {
      name,
      version_config: [{ target_environment: 'windows', version: NEW }],
      stages,
      start_at: AN_HOUR_AGO(),
    });
    assert.equal(created.status, 200, created.text);
    return created.body.result;
  }

  async function waitFor(server: RunningServer, id: string, state: string, seconds = 30): Promise<Json> {
    for (let i = 0; i < seconds * 10; i++) {
      const got = await call(server, 'GET', `${ROLLOUTS}/${id}`);
      if (got.body.result?.state === state) return got.body.result;
      await sleep(100);
    }
    assert.fail(`rollout ${id} did not become ${state}`);
  }

  /** The rollout entries of each ring in the audit trail, straight from the database. */
  async function entriesPerRing(ids: string[]): Promise<number[]> {
    const rows = await database.query<{ resource_id: string; n: string }>(
      `SELECT resource_id, count(*) AS n FROM audit_log WHERE interface = 'rollout' AND resource_id = ANY($1)
       GROUP BY resource_id`,
      [ids],
    );
    const counts = new Map(rows.map((row) => [row.resource_id, Number(row.n)]));
    return ids.map((id) => counts.get(id) ?? 0);
  }

  before(async () => {
    database = await createTestDatabase();
    const first = await start();
    assert.ok(first.operatorToken);
    token = first.operatorToken;
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database?.drop();
  });

  it('applies each of 60 due stages exactly once while three replicas race for them', async () => {
    const replicas = [servers[0] as RunningServer, await start(), await start()];
    const ids = await rings(replicas[0] as RunningServer, 60, 'race');
    const rollouts: Json[] = [];
    for (let r = 0; r < 12; r++) {
      const stages = ids.slice(r * 5, r * 5 + 5).map((id) => ({ deployment_group_id: id, wait: '0s' }));
      rollouts.push(await createRollout(replicas[r % 3] as RunningServer, `race ${r}`, stages));
    }
    for (const [i, rollout] of rollouts.entries()) {
      const done = await waitFor(replicas[i % 3] as RunningServer, rollout.id, 'completed');
      assert.ok(done.stages.every((stage: Json) => stage.state === 'applied'));
    }
    assert.deepEqual(
      await entriesPerRing(ids),
      ids.map(() => 1),
      'one audit entry per stage',
    );
    for (const id of ids) {
      const group = await call(replicas[1] as RunningServer, 'GET', `${GROUPS}/${id}`);
      assert.equal(group.body.result.version_config[0].version, NEW);
      assert.match(group.headers.get('etag') ?? '', /^"r2-/, 'one revision per stage');
    }
    for (const extra of replicas.slice(1)) {
      await extra.stop();
      servers.splice(servers.indexOf(extra), 1);
    }
  });

  it('applies a stage once when the replica holding it mid-apply is SIGKILLed', async () => {
    const doomed = await start();
    const [ring] = await rings(doomed, 1, 'killed');
    // Hold the ring's row, so that the replica that takes the stage waits inside its transaction.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM deployment_groups WHERE id = $1 FOR UPDATE', [ring]);
    // Only the doomed replica runs now: servers[0] is stopped for this test and started again after.
    const survivor = servers[0] as RunningServer;
    await survivor.stop();
    servers.splice(servers.indexOf(survivor), 1);
    const rollout = await createRollout(doomed, 'killed', [{ deployment_group_id: ring, wait: '0s' }]);
    await waitUntil(async () => (await waitingOnLock()) > 0, 'the doomed replica takes the stage');
    const other = await start();
    await sleep(1_500);
    assert.equal((await call(other, 'GET', `${ROLLOUTS}/${rollout.id}`)).body.result.state, 'scheduled');
    await doomed.kill();
    servers.splice(servers.indexOf(doomed), 1);
    await blocker.query('ROLLBACK');
    await blocker.end();
    const done = await waitFor(other, rollout.id, 'completed');
    assert.equal(done.stages[0].state, 'applied');
    assert.deepEqual(await entriesPerRing([ring as string]), [1]);
  });

  it('applies at the next start a stage that fell due while no server ran', async () => {
    const server = servers[0] as RunningServer;
    const ids = await rings(server, 2, 'restart');
    const rollout = await createRollout(server, 'restart', [
      { deployment_group_id: ids[0], wait: '0s' },
      { deployment_group_id: ids[1], wait: '24h' },
    ]);
    const running = await waitFor(server, rollout.id, 'running');
    assert.equal(running.stages[1].state, 'pending');
    for (const stopped of servers.splice(0)) await stopped.stop();
    // A day passes while nothing runs.
    await database.query(
      `UPDATE rollout_stages SET due_at = '2000-01-01T00:00:00.000000000Z' WHERE rollout_id = $1 AND position = 1`,
      [rollout.id],
    );
    const restarted = await start();
    const done = await waitFor(restarted, rollout.id, 'completed', 10);
    assert.equal(done.stages[1].state, 'applied');
    assert.deepEqual(await entriesPerRing(ids), [1, 1]);
  });

  /** Backends waiting for a row lock: the stage's transaction stuck behind the test's blocker. */
  async function waitingOnLock(): Promise<number> {
    const rows = await database.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return Number(rows[0]?.n ?? 0);
  }
});

async function waitUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting until ${what}`);
}
