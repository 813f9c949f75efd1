// Rollouts (docs/contract.md §8.5): stages applied in order at their times, pause and resume, abort,
// rollback, a ring deleted mid-rollout, competing rollouts, validation, and the audit entry of each stage.
// Time is the injected clock (src/clock.ts); the scheduler is ticked by the test. Run over the real app on
// SQLite, and on PostgreSQL when RINGMASTER_TEST_POSTGRES_URL is set.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { formatTimestamp, nowNanos, setClock } from '../src/clock.ts';
import type { BackupRecord } from '../src/store/backup.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { type AdminApp, createAdminApp } from './support/app.ts';
import { reportPostgresSkipped } from './support/postgres.ts';
import { type OpenedStore, storeBackends } from './support/stores.ts';

reportPostgresSkipped('rollouts on PostgreSQL');

const MINUTE = 60_000_000_000n;
const HOUR = 60n * MINUTE;
const DAY = 24n * HOUR;
const OLD = '2026.1.100.0';
const NEW = '2026.6.822.0';
const groupsUrl = (account = ACCOUNT) => `/client/v4/accounts/${account}/devices/deployment-groups`;
const rolloutsUrl = (path = '', account = ACCOUNT) => `/ringmaster/v1/accounts/${account}/rollouts${path}`;

type Json = any;

const backends = storeBackends('rollouts');

for (const backend of backends) {
  describe(`rollouts: ${backend.name}`, () => {
    let app: FastifyInstance;
    let opened: OpenedStore;
    let adminId: string;
    let clock: bigint;
    /** Moves the injected clock forward by `nanos`, then ticks the scheduler. */
    const advance = async (nanos: bigint) => {
      clock += nanos;
      return app.rolloutScheduler.tick();
    };

    let inject: AdminApp['call'];

    before(async () => {
      opened = await backend.open();
      const built = await createAdminApp(opened.store, ['windows', 'macos', 'linux']);
      app = built.app;
      inject = built.call;
      adminId = built.admin.id;
    });
    after(async () => {
      await app?.close();
      await opened?.close();
    });
    beforeEach(() => {
      clock = nowNanos() + DAY;
      setClock(() => clock);
    });
    afterEach(() => setClock());

    async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) {
      const response = await inject(method, url, body);
      return { status: response.statusCode, body: response.json() as Json, headers: response.headers };
    }

    async function ring(name: string, versionConfig?: Json[]): Promise<Json> {
      const created = await call('POST', groupsUrl(), {
        name: `${name} ${clock}`,
        version_config: versionConfig ?? [{ target_environment: 'windows', version: OLD }],
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      return created.body.result;
    }

    async function group(id: string): Promise<Json> {
      return (await call('GET', `${groupsUrl()}/${id}`)).body.result;
    }

    async function create(body: Json): Promise<Json> {
      const created = await call('POST', rolloutsUrl(), body);
      assert.equal(created.status, 200, JSON.stringify(created.body));
      return created.body.result;
    }

    async function get(id: string): Promise<Json> {
      const got = await call('GET', rolloutsUrl(`/${id}`));
      assert.equal(got.status, 200, JSON.stringify(got.body));
      return got.body.result;
    }

    const at = (nanos: bigint) => formatTimestamp(nanos);
    const versions = (environments: string[], version = NEW) =>
      environments.map((target_environment) => ({ target_environment, version }));

    async function rolloutEntries(groupId: string): Promise<Json[]> {
      const history = await call(
        'GET',
        `/ringmaster/v1/accounts/${ACCOUNT}/deployment-groups/${groupId}/history`,
      );
      return history.body.result.filter((entry: Json) => entry.actor.interface === 'rollout');
    }

    it('applies its stages in order, each at its time, through the update path with one audit entry each', async () => {
      const rings = [await ring('a'), await ring('b'), await ring('c')];
      const start = clock + 10n * MINUTE;
      const rollout = await create({
        name: 'Windows and macOS 2026.6',
        version_config: versions(['windows', 'macos']),
        stages: [
          { deployment_group_id: rings[0].id },
          { deployment_group_id: rings[1].id, wait: '1h' },
          { deployment_group_id: rings[2].id, wait: '1d' },
        ],
        start_at: new Date(Number(start / 1_000_000n)).toISOString(),
      });
      assert.equal(rollout.state, 'scheduled');
      assert.deepEqual(rollout.created_by, { type: 'user', id: adminId, name: 'admin', email: null });
      assert.deepEqual(
        rollout.stages.map((stage: Json) => [stage.state, stage.wait, stage.due_at]),
        [
          ['pending', '0s', rollout.start_at],
          ['pending', '1h', null],
          ['pending', '1d', null],
        ],
      );

      assert.equal(await advance(5n * MINUTE), 0, 'nothing is due yet');
      await advance(5n * MINUTE);
      let now = await get(rollout.id);
      assert.equal(now.state, 'running');
      assert.deepEqual(
        now.stages.map((stage: Json) => stage.state),
        ['applied', 'pending', 'pending'],
      );
      assert.deepEqual(now.stages[0].replaced, [
        { target_environment: 'windows', version: OLD },
        { target_environment: 'macos', version: null },
      ]);
      assert.equal(
        now.stages[1].due_at,
        at(
          BigInt(Date.parse(now.stages[0].applied_at)) * 1_000_000n +
            HOUR +
            BigInt(now.stages[0].applied_at.slice(23, 29)),
        ),
      );
      const first = await group(rings[0].id);
      assert.deepEqual(first.version_config, versions(['windows', 'macos']));
      assert.deepEqual((await group(rings[1].id)).version_config, rings[1].version_config);
      const tag = (await call('GET', `${groupsUrl()}/${rings[0].id}`)).headers.etag as string;
      assert.match(tag, /^"r2-/, 'the ring moved to its next revision');

      assert.equal(await advance(59n * MINUTE), 0);
      await advance(MINUTE);
      await advance(DAY);
      now = await get(rollout.id);
      assert.equal(now.state, 'completed');
      assert.deepEqual(
        now.stages.map((stage: Json) => stage.state),
        ['applied', 'applied', 'applied'],
      );
      for (const { id } of rings) {
        const entries = await rolloutEntries(id);
        assert.equal(entries.length, 1, 'one audit entry per stage');
        assert.equal(entries[0].action, 'update');
        assert.deepEqual(
          { type: entries[0].actor.type, id: entries[0].actor.id, name: entries[0].actor.name },
          { type: 'system', id: rollout.id, name: rollout.name },
        );
        assert.equal(entries[0].revision, 2);
      }
      assert.equal(await advance(DAY), 0, 'a completed rollout applies nothing more');
    });

    it('moves the due times of pending stages by the time it was paused', async () => {
      const rings = [await ring('p1'), await ring('p2')];
      const rollout = await create({
        name: 'paused',
        version_config: versions(['windows']),
        stages: [{ deployment_group_id: rings[0].id, wait: '1h' }, { deployment_group_id: rings[1].id }],
      });
      const due = rollout.stages[0].due_at;
      const paused = await call('POST', rolloutsUrl(`/${rollout.id}/pause`));
      assert.equal(paused.status, 200);
      assert.equal(paused.body.result.state, 'paused');
      assert.equal(await advance(3n * HOUR), 0, 'a paused rollout applies nothing');
      const resumed = await call('POST', rolloutsUrl(`/${rollout.id}/resume`));
      assert.equal(resumed.status, 200);
      assert.equal(resumed.body.result.state, 'scheduled');
      const shifted = BigInt(Date.parse(resumed.body.result.stages[0].due_at)) - BigInt(Date.parse(due));
      assert.ok(shifted >= 3n * 3_600_000n && shifted <= 3n * 3_600_000n + 1n, `shifted ${shifted} ms`);
      assert.equal(await advance(59n * MINUTE), 0);
      await advance(MINUTE);
      const now = await get(rollout.id);
      assert.deepEqual(
        now.stages.map((stage: Json) => stage.state),
        ['applied', 'applied'],
      );
      const again = await call('POST', rolloutsUrl(`/${rollout.id}/resume`));
      assert.equal(again.status, 409);
      assert.equal(again.body.errors[0].code, 2017);
    });

    it('aborts: pending stages never apply, applied ones stay', async () => {
      const rings = [await ring('x1'), await ring('x2')];
      const rollout = await create({
        name: 'aborted',
        version_config: versions(['windows']),
        stages: [{ deployment_group_id: rings[0].id }, { deployment_group_id: rings[1].id, wait: '1h' }],
      });
      await advance(0n);
      const aborted = await call('POST', rolloutsUrl(`/${rollout.id}/abort`));
      assert.equal(aborted.status, 200);
      assert.equal(aborted.body.result.state, 'aborted');
      assert.deepEqual(
        aborted.body.result.stages.map((stage: Json) => stage.state),
        ['applied', 'skipped'],
      );
      assert.equal(await advance(2n * HOUR), 0);
      assert.deepEqual((await group(rings[1].id)).version_config, rings[1].version_config);
      assert.deepEqual((await group(rings[0].id)).version_config, versions(['windows']));
      for (const action of ['abort', 'pause', 'resume']) {
        const refused = await call('POST', rolloutsUrl(`/${rollout.id}/${action}`));
        assert.equal(refused.status, 409, action);
        assert.equal(refused.body.errors[0].code, 2017);
      }
    });

    it('rolls back: restores exactly what each applied stage replaced, last stage first', async () => {
      const rings = [
        await ring('r1', [
          { target_environment: 'windows', version: OLD },
          { target_environment: null, version: '2026.1.5.0' },
        ]),
        await ring('r2', [{ target_environment: 'macos', version: OLD }]),
        await ring('r3'),
      ];
      const rollout = await create({
        name: 'rolled back',
        version_config: versions(['windows', 'macos']),
        stages: rings.map((r, i) => ({ deployment_group_id: r.id, wait: i === 2 ? '1d' : '0s' })),
      });
      await advance(0n);
      assert.deepEqual((await group(rings[1].id)).version_config, [
        { target_environment: 'macos', version: NEW },
        { target_environment: 'windows', version: NEW },
      ]);
      const rolled = await call('POST', rolloutsUrl(`/${rollout.id}/rollback`));
      assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
      assert.equal(rolled.body.result.state, 'rolled_back');
      assert.deepEqual(
        rolled.body.result.stages.map((stage: Json) => stage.state),
        ['rolled_back', 'rolled_back', 'skipped'],
      );
      for (const r of rings) assert.deepEqual((await group(r.id)).version_config, r.version_config);
      // The restorations are audited, last stage first, as the requester's reverts.
      const log = await call('GET', `/client/v4/accounts/${ACCOUNT}/audit_logs?per_page=10&direction=desc`);
      const reverts = log.body.result.filter((entry: Json) => entry.action.type === 'revert');
      assert.deepEqual(
        reverts.slice(0, 2).map((entry: Json) => entry.resource.id),
        [rings[0].id, rings[1].id],
      );
      assert.equal(await advance(2n * DAY), 0, 'a rolled-back rollout applies nothing');
      const again = await call('POST', rolloutsUrl(`/${rollout.id}/rollback`));
      assert.equal(again.body.errors[0].code, 2017);
    });

    it('is seen by this process’s version targets as soon as a stage or the rollback is done', async () => {
      const policy = `rollout-target-${clock}`;
      const created = await call('POST', groupsUrl(), {
        name: `targets ${clock}`,
        version_config: [{ target_environment: 'windows', version: OLD }],
        policy_ids: [policy],
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const target = async () => {
        const url = `/ringmaster/v1/accounts/${ACCOUNT}/version-targets?policy_id=${policy}&target_environment=windows`;
        return (await call('GET', url)).body.result?.version;
      };
      assert.equal(await target(), OLD, 'held from here on');
      const rollout = await create({
        name: 'followed',
        version_config: versions(['windows']),
        stages: [{ deployment_group_id: created.body.result.id, wait: '0s' }],
      });
      assert.equal(await advance(0n), 1);
      assert.equal(await target(), NEW, 'the stage, without waiting for the periodic check');
      const rolled = await call('POST', rolloutsUrl(`/${rollout.id}/rollback`));
      assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
      assert.equal(await target(), OLD, 'the rollback, likewise');
    });

    it('pauses with a reason when the ring of the due stage was deleted; resume skips it', async () => {
      const rings = [await ring('d1'), await ring('d2'), await ring('d3')];
      const rollout = await create({
        name: 'ring deleted',
        version_config: versions(['windows']),
        stages: rings.map((r, i) => ({ deployment_group_id: r.id, wait: i === 0 ? '0s' : '1h' })),
      });
      await advance(0n);
      assert.equal((await call('DELETE', `${groupsUrl()}/${rings[1].id}`)).status, 200);
      await advance(HOUR + MINUTE);
      let now = await get(rollout.id);
      assert.equal(now.state, 'paused');
      assert.match(now.state_reason, new RegExp(`${rings[1].id}.*no longer exists`));
      const resumed = await call('POST', rolloutsUrl(`/${rollout.id}/resume`));
      assert.equal(resumed.status, 200);
      assert.equal(resumed.body.result.state, 'running');
      assert.equal(resumed.body.result.state_reason, null);
      assert.deepEqual(
        resumed.body.result.stages.map((stage: Json) => stage.state),
        ['applied', 'skipped', 'pending'],
      );
      await advance(HOUR + MINUTE);
      now = await get(rollout.id);
      assert.equal(now.state, 'completed');
      assert.deepEqual((await group(rings[2].id)).version_config, versions(['windows']));
    });

    it('refuses a second active rollout that sets the same environment of the same ring (409), at create and on resume', async () => {
      const rings = [await ring('c1'), await ring('c2')];
      const first = await create({
        name: 'first',
        version_config: versions(['windows']),
        stages: [{ deployment_group_id: rings[0].id, wait: '1h' }],
      });
      const competing = await call('POST', rolloutsUrl(), {
        name: 'second',
        version_config: versions(['macos', 'windows']),
        stages: [{ deployment_group_id: rings[1].id }, { deployment_group_id: rings[0].id }],
      });
      assert.equal(competing.status, 409);
      assert.deepEqual(
        competing.body.errors.map((error: Json) => [error.code, error.source.pointer, error.meta.rollout_id]),
        [[2018, '/stages/1/deployment_group_id', first.id]],
      );
      // Another environment of the same ring is fine.
      const macos = await create({
        name: 'macos only',
        version_config: versions(['macos']),
        stages: [{ deployment_group_id: rings[0].id, wait: '1h' }],
      });
      assert.equal((await call('POST', rolloutsUrl(`/${macos.id}/abort`))).status, 200);
      // A paused rollout claims nothing, but may not come back while another holds its rings.
      assert.equal((await call('POST', rolloutsUrl(`/${first.id}/pause`))).status, 200);
      const second = await create({
        name: 'second',
        version_config: versions(['windows']),
        stages: [{ deployment_group_id: rings[0].id, wait: '1h' }],
      });
      const resumed = await call('POST', rolloutsUrl(`/${first.id}/resume`));
      assert.equal(resumed.status, 409);
      assert.equal(resumed.body.errors[0].code, 2018);
      assert.equal(resumed.body.errors[0].meta.rollout_id, second.id);
      assert.equal((await get(first.id)).state, 'paused', 'a refused resume changes nothing');
      for (const id of [first.id, second.id]) await call('POST', rolloutsUrl(`/${id}/abort`));
    });

    it('lets exactly one of ten concurrent competing creates through', async () => {
      const r = await ring('race');
      const body = (i: number) => ({
        name: `race ${i}`,
        version_config: versions(['windows']),
        stages: [{ deployment_group_id: r.id, wait: '1h' }],
      });
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => call('POST', rolloutsUrl(), body(i))),
      );
      const won = answers.filter((answer) => answer.status === 200);
      assert.equal(won.length, 1, JSON.stringify(answers.map((answer) => answer.status)));
      for (const lost of answers.filter((answer) => answer.status !== 200)) {
        assert.equal(lost.status, 409);
        assert.equal(lost.body.errors[0].meta.rollout_id, won[0]?.body.result.id);
      }
      await call('POST', rolloutsUrl(`/${won[0]?.body.result.id}/abort`));
    });

    it('reports every violation of a create body with its JSON pointer (400 2001)', async () => {
      const r = await ring('v');
      const shape = await call('POST', rolloutsUrl(), {
        name: '',
        version_config: [{ target_environment: 'plan9', version: '2026.13.1.0' }],
        stages: [
          { deployment_group_id: r.id, wait: '5 minutes' },
          { deployment_group_id: r.id },
          { deployment_group_id: 'not-a-uuid', wait: '1w' },
        ],
        start_at: 'tomorrow',
        typo: true,
      });
      assert.equal(shape.status, 400);
      const pointers = shape.body.errors.map((error: Json) => error.source.pointer).sort();
      assert.deepEqual(pointers, [
        '/name',
        '/stages/0/wait',
        '/stages/1/deployment_group_id',
        '/stages/2/deployment_group_id',
        '/stages/2/wait',
        '/start_at',
        '/typo',
        '/version_config/0/target_environment',
        '/version_config/0/version',
      ]);
      assert.ok(shape.body.errors.every((error: Json) => error.code === 2001));
      const rules = await call('POST', rolloutsUrl(), {
        name: 'rules',
        version_config: versions(['windows']),
        stages: [
          { deployment_group_id: r.id, wait: '366d' },
          { deployment_group_id: '00000000-0000-4000-8000-000000000000' },
        ],
        start_at: '2026-02-30T10:00:00Z',
      });
      assert.equal(rules.status, 400);
      assert.deepEqual(
        rules.body.errors.map((error: Json) => error.source.pointer),
        ['/start_at', '/stages/0/wait', '/stages/1/deployment_group_id'],
      );
      const none = await call('POST', rolloutsUrl(), {
        name: 'n',
        version_config: versions(['windows']),
        stages: [],
      });
      assert.equal(none.body.errors[0].source.pointer, '/stages');
      const tooMany = await call('POST', rolloutsUrl(), {
        name: 'n',
        version_config: versions(['windows']),
        stages: Array.from({ length: 21 }, () => ({ deployment_group_id: r.id })),
      });
      assert.equal(tooMany.body.errors[0].source.pointer, '/stages');
      // A ring of another account is no ring of this one.
      const other = await call('POST', groupsUrl(OTHER_ACCOUNT), {
        name: 'o',
        version_config: versions(['windows']),
      });
      const foreign = await call('POST', rolloutsUrl(), {
        name: 'foreign',
        version_config: versions(['windows']),
        stages: [{ deployment_group_id: other.body.result.id }],
      });
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.errors[0].source.pointer, '/stages/0/deployment_group_id');
    });

    it('carries rollouts, their stages and what they replaced through export and import', async () => {
      const r = await ring('e');
      const rollout = await create({
        name: 'exported',
        version_config: versions(['windows', 'macos']),
        stages: [{ deployment_group_id: r.id }],
      });
      await advance(0n);
      const applied = await get(rollout.id);
      const records: BackupRecord[] = [];
      for await (const record of opened.store.exportRecords()) records.push(record);
      const target = await backend.open();
      try {
        async function* replay() {
          yield* records;
        }
        const counts = await target.store.importRecords(replay());
        assert.ok(counts.rollouts >= 1);
        assert.deepEqual(await target.store.getRollout(ACCOUNT, rollout.id), applied);
        const again: BackupRecord[] = [];
        for await (const record of target.store.exportRecords()) again.push(record);
        assert.deepEqual(again, records);
      } finally {
        await target.close();
      }
    });

    it('lists newest first, pages like the groups list, filters by state, and keeps accounts apart', async () => {
      const r = await ring('l');
      const made = [];
      for (let i = 0; i < 3; i++) {
        made.push(
          await create({
            name: `listed ${i}`,
            version_config: versions(['linux']),
            stages: [{ deployment_group_id: r.id, wait: '1h' }],
          }),
        );
        await call('POST', rolloutsUrl(`/${made[i].id}/abort`));
        clock += 1n;
      }
      const page = await call('GET', rolloutsUrl('?state=aborted&per_page=2'));
      assert.equal(page.status, 200);
      assert.equal(page.body.result_info.per_page, 2);
      assert.ok(page.body.result_info.total_count >= 3);
      assert.deepEqual(
        page.body.result.map((rollout: Json) => rollout.id),
        [made[2].id, made[1].id],
      );
      const bad = await call('GET', rolloutsUrl('?state=sideways'));
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors[0].source.parameter, 'state');
      assert.equal((await call('GET', rolloutsUrl('', OTHER_ACCOUNT))).body.result.length, 0);
      for (const url of [
        rolloutsUrl(`/${made[0].id}`, OTHER_ACCOUNT),
        rolloutsUrl('/not-a-uuid'),
        rolloutsUrl('/00000000-0000-4000-8000-000000000000'),
      ]) {
        const missing = await call('GET', url);
        assert.equal(missing.status, 404);
        assert.equal(missing.body.errors[0].code, 2016);
      }
      const foreignPause = await call('POST', rolloutsUrl(`/${made[0].id}/pause`, OTHER_ACCOUNT));
      assert.equal(foreignPause.body.errors[0].code, 2016);
    });
  });
}
