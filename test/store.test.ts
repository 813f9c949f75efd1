// One storage conformance suite, run against every backend: SQLite always, PostgreSQL when
// RINGMASTER_TEST_POSTGRES_URL names a server (each run creates its own database there, and each test
// its own schema). Whatever passes here, the service may rely on, whichever backend is underneath.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { COMMAND_LINE } from '../src/audit/context.ts';
import { formatTimestamp, parseTimestamp } from '../src/clock.ts';
import type { DeploymentGroup } from '../src/deployment-groups/model.ts';
import type { BackupRecord } from '../src/store/backup.ts';
import { OTHERS_SEEN_WITHIN_MS } from '../src/store/other-commits.ts';
import { openPostgresStore } from '../src/store/postgres/store.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import {
  type Audit,
  type PolicyConflict,
  PolicyConflictError,
  type Store,
  type StoredGroup,
  StoreNotEmptyError,
} from '../src/store/store.ts';
import type { Credential } from '../src/tokens/model.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import {
  createTestDatabase,
  POSTGRES_URL,
  reportPostgresSkipped,
  type TestDatabase,
} from './support/postgres.ts';

/** A fresh, empty store, and a way to open a second one on the same data (another process/replica). */
interface Fixture {
  store: Store;
  openAnother(): Promise<Store>;
  close(): Promise<void>;
}

interface Backend {
  name: 'sqlite' | 'postgres';
  setUp?(): Promise<void>;
  tearDown?(): Promise<void>;
  fresh(): Promise<Fixture>;
  /** Opening a database that cannot be opened, and what the refusal must say (the place and the cause). */
  unopenable(): { open(): Promise<Store>; refusal: RegExp; cleanUp?(): void };
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), 'ringmaster-store-'));
    const path = join(dir, 'store.db');
    const opened: Store[] = [openSqliteStore({ path })];
    return {
      store: opened[0] as Store,
      async openAnother() {
        const store = openSqliteStore({ path });
        opened.push(store);
        return store;
      },
      async close() {
        for (const store of opened) await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  unopenable() {
    const dir = mkdtempSync(join(tmpdir(), 'ringmaster-store-'));
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'Not a database at all, just notes. '.repeat(100));
    return {
      open: async () => openSqliteStore({ path }),
      refusal: new RegExp(
        `^cannot open the SQLite database ${path}: file is not a database: .*not an SQLite database`,
      ),
      cleanUp: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

let database: TestDatabase | undefined;
const postgres: Backend = {
  name: 'postgres',
  async setUp() {
    database = await createTestDatabase();
  },
  async tearDown() {
    await database?.drop();
  },
  async fresh() {
    const url = await (database as TestDatabase).createSchema();
    const opened: Store[] = [await openPostgresStore({ url })];
    return {
      store: opened[0] as Store,
      async openAnother() {
        const store = await openPostgresStore({ url });
        opened.push(store);
        return store;
      },
      async close() {
        for (const store of opened) await store.close();
      },
    };
  },
  unopenable() {
    const url = new URL((database as TestDatabase).url);
    url.pathname = '/ringmaster_no_such_database';
    return {
      open: () => openPostgresStore({ url: url.toString() }),
      refusal:
        /^cannot open the PostgreSQL database postgres:\/\/.*\/ringmaster_no_such_database: .*does not exist/,
    };
  },
};

const backends = POSTGRES_URL ? [sqlite, postgres] : [sqlite];
reportPostgresSkipped('PostgreSQL suite');

// Timestamps far apart from the wall clock and strictly increasing, so tests control the order.
let clock = parseTimestamp('2026-07-01T12:00:00.000000000Z');
function tick(): string {
  clock += 1_000n;
  return formatTimestamp(clock);
}

function group(overrides: Partial<DeploymentGroup> = {}): DeploymentGroup {
  const timestamp = tick();
  return {
    id: randomUUID(),
    name: 'Engineering Ring 0',
    version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
    policy_ids: null,
    created_at: timestamp,
    updated_at: timestamp,
    ...overrides,
  };
}

function credential(overrides: Partial<Credential> = {}): Credential {
  return {
    id: randomUUID().replaceAll('-', ''),
    kind: 'token',
    name: null,
    email: null,
    secret_hash: randomUUID().replaceAll('-', '').repeat(2),
    permission: 'write',
    accounts: null,
    created_at: tick(),
    expires_at: null,
    revoked_at: null,
    ...overrides,
  };
}

/** The conflicts a write was refused with; fails the test if it was not refused with a conflict. */
async function conflictsOf(write: Promise<unknown>): Promise<PolicyConflict[]> {
  try {
    await write;
  } catch (error) {
    assert.ok(error instanceof PolicyConflictError, `expected PolicyConflictError, got ${error}`);
    return error.conflicts;
  }
  assert.fail('expected the write to be refused with a policy conflict');
}

async function* recordsOf(records: BackupRecord[]): AsyncGenerator<BackupRecord> {
  yield* records;
}

async function exported(store: Store): Promise<BackupRecord[]> {
  const records: BackupRecord[] = [];
  for await (const record of store.exportRecords()) records.push(record);
  return records;
}

/** Who writes in these tests: the audit trail itself is checked in change-control.test.ts. */
const AUDIT: Audit = { context: COMMAND_LINE };

const setPolicies =
  (policy_ids: string[] | null) =>
  ({ group: current }: StoredGroup) => ({
    ...current,
    policy_ids,
    updated_at: tick(),
  });

for (const backend of backends) {
  describe(`Store conformance: ${backend.name}`, () => {
    let fixture: Fixture;
    let store: Store;

    before(async () => backend.setUp?.());
    after(async () => backend.tearDown?.());
    beforeEach(async () => {
      fixture = await backend.fresh();
      store = fixture.store;
    });
    afterEach(async () => fixture.close());

    it('names its backend and answers ping', async () => {
      assert.equal(store.backend, backend.name);
      await store.ping();
    });

    it('refuses a database it cannot open, naming it and the cause', async () => {
      const { open, refusal, cleanUp } = backend.unopenable();
      try {
        await assert.rejects(open(), (error: Error) => {
          assert.match(error.message, refusal);
          return true;
        });
      } finally {
        cleanUp?.();
      }
    });

    describe('deployment groups', () => {
      it('returns a created group exactly as it was given', async () => {
        const created = group({
          name: 'Ring 0 🚀 "quoted" \\ back\nslash ünïcödé',
          version_config: [
            { target_environment: 'windows', version: '2026.6.822.0' },
            { target_environment: null, version: '2026.5.100.1' },
            { target_environment: 'macos', version: '2026.6.1.0' },
          ],
          policy_ids: ['zeta', 'alpha', 'Mid-1'],
        });
        await store.createDeploymentGroup(ACCOUNT, created, AUDIT);
        assert.deepEqual(await store.getDeploymentGroup(ACCOUNT, created.id), {
          group: created,
          revision: 1,
        });
      });

      it('keeps policy_ids null, empty and listed apart', async () => {
        const none = group({ policy_ids: null });
        const empty = group({ policy_ids: [] });
        const listed = group({ policy_ids: ['p-2', 'p-1'] });
        for (const g of [none, empty, listed]) await store.createDeploymentGroup(ACCOUNT, g, AUDIT);
        assert.equal((await store.getDeploymentGroup(ACCOUNT, none.id))?.group?.policy_ids, null);
        assert.deepEqual((await store.getDeploymentGroup(ACCOUNT, empty.id))?.group?.policy_ids, []);
        assert.deepEqual((await store.getDeploymentGroup(ACCOUNT, listed.id))?.group?.policy_ids, [
          'p-2',
          'p-1',
        ]);
      });

      it('returns undefined for an unknown group and for a group of another account', async () => {
        const created = group();
        await store.createDeploymentGroup(ACCOUNT, created, AUDIT);
        assert.equal(await store.getDeploymentGroup(ACCOUNT, randomUUID()), undefined);
        assert.equal(await store.getDeploymentGroup(OTHER_ACCOUNT, created.id), undefined);
      });

      it('lists by created_at, then id, with limit, offset and the total', async () => {
        const same = tick();
        const ids = [
          '00000000-0000-4000-8000-000000000003',
          '00000000-0000-4000-8000-000000000001',
          '00000000-0000-4000-8000-000000000002',
        ];
        const later = group();
        const earlier = group({ created_at: formatTimestamp(parseTimestamp(same) - 5n) });
        const tied = ids.map((id) => group({ id, created_at: same, updated_at: same }));
        for (const g of [later, ...tied, earlier]) await store.createDeploymentGroup(ACCOUNT, g, AUDIT);
        await store.createDeploymentGroup(OTHER_ACCOUNT, group(), AUDIT);

        const expected = [earlier.id, ...[...ids].sort(), later.id];
        const all = await store.listDeploymentGroups(ACCOUNT, { limit: 100, offset: 0 });
        assert.equal(all.total, 5);
        assert.deepEqual(
          all.groups.map((g) => g.id),
          expected,
        );
        assert.deepEqual(all.groups[0], earlier);

        const pages: string[] = [];
        for (let offset = 0; offset < 5; offset += 2) {
          const page = await store.listDeploymentGroups(ACCOUNT, { limit: 2, offset });
          assert.equal(page.total, 5);
          pages.push(...page.groups.map((g) => g.id));
        }
        assert.deepEqual(pages, expected);
      });

      it('answers a page past the end with no groups and the real total', async () => {
        await store.createDeploymentGroup(ACCOUNT, group(), AUDIT);
        assert.deepEqual(await store.listDeploymentGroups(ACCOUNT, { limit: 50, offset: 50 }), {
          groups: [],
          total: 1,
        });
        assert.deepEqual(await store.listDeploymentGroups(OTHER_ACCOUNT, { limit: 50, offset: 0 }), {
          groups: [],
          total: 0,
        });
      });

      it('deletes a group once, only in its own account', async () => {
        const created = group();
        await store.createDeploymentGroup(ACCOUNT, created, AUDIT);
        assert.equal(await store.deleteDeploymentGroup(OTHER_ACCOUNT, created.id, AUDIT), false);
        assert.equal(await store.deleteDeploymentGroup(ACCOUNT, created.id, AUDIT), true);
        assert.equal(await store.deleteDeploymentGroup(ACCOUNT, created.id, AUDIT), false);
        assert.equal(await store.getDeploymentGroup(ACCOUNT, created.id), undefined);
      });
    });

    describe('policy ownership', () => {
      it('refuses a create listing every policy ID another group owns, and stores nothing', async () => {
        const first = group({ policy_ids: ['p1'] });
        const second = group({ policy_ids: ['p3', 'p4'] });
        await store.createDeploymentGroup(ACCOUNT, first, AUDIT);
        await store.createDeploymentGroup(ACCOUNT, second, AUDIT);

        const refused = group({ policy_ids: ['p0', 'p3', 'p1', 'p2'] });
        assert.deepEqual(await conflictsOf(store.createDeploymentGroup(ACCOUNT, refused, AUDIT)), [
          { policyId: 'p3', groupId: second.id },
          { policyId: 'p1', groupId: first.id },
        ]);
        assert.equal(await store.getDeploymentGroup(ACCOUNT, refused.id), undefined);
        assert.equal((await store.listDeploymentGroups(ACCOUNT, { limit: 10, offset: 0 })).total, 2);
        // Rolled back: the IDs that were free are still free.
        await store.createDeploymentGroup(ACCOUNT, group({ policy_ids: ['p0', 'p2'] }), AUDIT);
      });

      it('keeps each account its own namespace of policy IDs', async () => {
        await store.createDeploymentGroup(ACCOUNT, group({ policy_ids: ['shared'] }), AUDIT);
        await store.createDeploymentGroup(OTHER_ACCOUNT, group({ policy_ids: ['shared'] }), AUDIT);
        const other = group({ policy_ids: ['shared'] });
        const conflicts = await conflictsOf(store.createDeploymentGroup(OTHER_ACCOUNT, other, AUDIT));
        assert.equal(conflicts.length, 1);
      });

      it('frees a deleted group’s policy IDs at once', async () => {
        const owner = group({ policy_ids: ['p1', 'p2'] });
        await store.createDeploymentGroup(ACCOUNT, owner, AUDIT);
        await store.deleteDeploymentGroup(ACCOUNT, owner.id, AUDIT);
        await store.createDeploymentGroup(ACCOUNT, group({ policy_ids: ['p2', 'p1'] }), AUDIT);
      });

      it('lets exactly one of many concurrent creates claim a policy ID', async () => {
        const another = await fixture.openAnother();
        const contenders = Array.from({ length: 20 }, () =>
          group({ policy_ids: ['contested', randomUUID()] }),
        );
        const outcomes = await Promise.allSettled(
          contenders.map((g, i) => (i % 2 ? another : store).createDeploymentGroup(ACCOUNT, g, AUDIT)),
        );
        const winners = contenders.filter((_, i) => outcomes[i]?.status === 'fulfilled');
        assert.equal(winners.length, 1);
        for (const outcome of outcomes) {
          if (outcome.status === 'fulfilled') continue;
          assert.ok(outcome.reason instanceof PolicyConflictError);
          assert.deepEqual(outcome.reason.conflicts, [{ policyId: 'contested', groupId: winners[0]?.id }]);
        }
        assert.equal((await store.listDeploymentGroups(ACCOUNT, { limit: 100, offset: 0 })).total, 1);
      });
    });

    describe('updates', () => {
      it('applies the change to the current group and stores the result', async () => {
        const created = group({ policy_ids: ['p1'] });
        await store.createDeploymentGroup(ACCOUNT, created, AUDIT);
        const updated = await store.updateDeploymentGroup(
          ACCOUNT,
          created.id,
          ({ group: current }) => {
            assert.deepEqual(current, created);
            return {
              ...current,
              name: 'Renamed',
              version_config: [{ target_environment: null, version: '2026.7.1.0' }],
              updated_at: tick(),
            };
          },
          AUDIT,
        );
        assert.equal(updated?.group.name, 'Renamed');
        assert.deepEqual(await store.getDeploymentGroup(ACCOUNT, created.id), updated);
      });

      it('writes nothing when the change returns the current group', async () => {
        const created = group({ policy_ids: [] });
        await store.createDeploymentGroup(ACCOUNT, created, AUDIT);
        let seen: DeploymentGroup | undefined;
        const result = await store.updateDeploymentGroup(
          ACCOUNT,
          created.id,
          ({ group: current }) => {
            seen = current;
            return current;
          },
          AUDIT,
        );
        assert.equal(result?.group, seen);
        assert.deepEqual(await store.getDeploymentGroup(ACCOUNT, created.id), {
          group: created,
          revision: 1,
        });
      });

      it('returns undefined, without calling the change, for a missing group or another account’s', async () => {
        const created = group();
        await store.createDeploymentGroup(ACCOUNT, created, AUDIT);
        const never = () => assert.fail('the change must not be called');
        assert.equal(await store.updateDeploymentGroup(ACCOUNT, randomUUID(), never, AUDIT), undefined);
        assert.equal(await store.updateDeploymentGroup(OTHER_ACCOUNT, created.id, never, AUDIT), undefined);
      });

      it('releases removed policy IDs, claims added ones and keeps held ones, in the new order', async () => {
        const created = group({ policy_ids: ['keep', 'drop'] });
        await store.createDeploymentGroup(ACCOUNT, created, AUDIT);
        const updated = await store.updateDeploymentGroup(
          ACCOUNT,
          created.id,
          setPolicies(['new', 'keep']),
          AUDIT,
        );
        assert.deepEqual(updated?.group.policy_ids, ['new', 'keep']);
        assert.deepEqual((await store.getDeploymentGroup(ACCOUNT, created.id))?.group?.policy_ids, [
          'new',
          'keep',
        ]);
        // 'drop' is free now; 'keep' and 'new' are not.
        await store.createDeploymentGroup(ACCOUNT, group({ policy_ids: ['drop'] }), AUDIT);
        const conflicts = await conflictsOf(
          store.createDeploymentGroup(ACCOUNT, group({ policy_ids: ['keep', 'new'] }), AUDIT),
        );
        assert.deepEqual(conflicts, [
          { policyId: 'keep', groupId: created.id },
          { policyId: 'new', groupId: created.id },
        ]);
      });

      it('clears policy IDs to null or to an empty list and frees them', async () => {
        const a = group({ policy_ids: ['a1'] });
        const b = group({ policy_ids: ['b1'] });
        await store.createDeploymentGroup(ACCOUNT, a, AUDIT);
        await store.createDeploymentGroup(ACCOUNT, b, AUDIT);
        assert.equal(
          (await store.updateDeploymentGroup(ACCOUNT, a.id, setPolicies(null), AUDIT))?.group.policy_ids,
          null,
        );
        assert.deepEqual(
          (await store.updateDeploymentGroup(ACCOUNT, b.id, setPolicies([]), AUDIT))?.group.policy_ids,
          [],
        );
        assert.equal((await store.getDeploymentGroup(ACCOUNT, a.id))?.group?.policy_ids, null);
        assert.deepEqual((await store.getDeploymentGroup(ACCOUNT, b.id))?.group?.policy_ids, []);
        await store.createDeploymentGroup(ACCOUNT, group({ policy_ids: ['a1', 'b1'] }), AUDIT);
      });

      it('refuses an update listing every newly added ID another group owns, and changes nothing', async () => {
        const owner1 = group({ policy_ids: ['o1'] });
        const owner2 = group({ policy_ids: ['o2'] });
        const target = group({ policy_ids: ['mine', 'released'] });
        for (const g of [owner1, owner2, target]) await store.createDeploymentGroup(ACCOUNT, g, AUDIT);

        const conflicts = await conflictsOf(
          store.updateDeploymentGroup(
            ACCOUNT,
            target.id,
            ({ group: current }) => ({
              ...current,
              name: 'must not be stored',
              policy_ids: ['o2', 'mine', 'free', 'o1'],
              updated_at: tick(),
            }),
            AUDIT,
          ),
        );
        assert.deepEqual(conflicts, [
          { policyId: 'o2', groupId: owner2.id },
          { policyId: 'o1', groupId: owner1.id },
        ]);
        assert.deepEqual(await store.getDeploymentGroup(ACCOUNT, target.id), { group: target, revision: 1 });
        // Rolled back: 'released' is still held, 'free' was not kept.
        assert.deepEqual(
          await conflictsOf(store.createDeploymentGroup(ACCOUNT, group({ policy_ids: ['released'] }), AUDIT)),
          [{ policyId: 'released', groupId: target.id }],
        );
        await store.createDeploymentGroup(ACCOUNT, group({ policy_ids: ['free'] }), AUDIT);
      });

      it('loses no update when many change one group at once', async () => {
        const another = await fixture.openAnother();
        const created = group({ policy_ids: [] });
        await store.createDeploymentGroup(ACCOUNT, created, AUDIT);
        const added = Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}`);
        await Promise.all(
          added.map((policyId, i) =>
            (i % 2 ? another : store).updateDeploymentGroup(
              ACCOUNT,
              created.id,
              ({ group: current }) => ({
                ...current,
                policy_ids: [...(current.policy_ids ?? []), policyId],
                updated_at: tick(),
              }),
              AUDIT,
            ),
          ),
        );
        const stored = (await store.getDeploymentGroup(ACCOUNT, created.id))?.group;
        assert.deepEqual([...(stored?.policy_ids ?? [])].sort(), added);
      });

      it('lets exactly one of many concurrent updates claim a policy ID', async () => {
        const another = await fixture.openAnother();
        const groups = Array.from({ length: 20 }, () => group());
        for (const g of groups) await store.createDeploymentGroup(ACCOUNT, g, AUDIT);
        const outcomes = await Promise.allSettled(
          groups.map((g, i) =>
            (i % 2 ? another : store).updateDeploymentGroup(ACCOUNT, g.id, setPolicies(['contested']), AUDIT),
          ),
        );
        const winners = groups.filter((_, i) => outcomes[i]?.status === 'fulfilled');
        assert.equal(winners.length, 1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            assert.ok(outcome.reason instanceof PolicyConflictError);
            assert.deepEqual(outcome.reason.conflicts, [{ policyId: 'contested', groupId: winners[0]?.id }]);
          }
        }
      });

      it('refuses both of two groups swapping policy IDs at once, without a deadlock error', async () => {
        const another = await fixture.openAnother();
        const a = group({ policy_ids: ['x'] });
        const b = group({ policy_ids: ['y'] });
        await store.createDeploymentGroup(ACCOUNT, a, AUDIT);
        await store.createDeploymentGroup(ACCOUNT, b, AUDIT);
        const outcomes = await Promise.allSettled([
          store.updateDeploymentGroup(ACCOUNT, a.id, setPolicies(['y']), AUDIT),
          another.updateDeploymentGroup(ACCOUNT, b.id, setPolicies(['x']), AUDIT),
        ]);
        for (const outcome of outcomes) {
          assert.equal(outcome.status, 'rejected');
          assert.ok(outcome.reason instanceof PolicyConflictError, String(outcome.reason));
        }
        assert.deepEqual((await store.getDeploymentGroup(ACCOUNT, a.id))?.group?.policy_ids, ['x']);
        assert.deepEqual((await store.getDeploymentGroup(ACCOUNT, b.id))?.group?.policy_ids, ['y']);
      });
    });

    describe('credentials', () => {
      it('finds a credential by its secret hash, exactly as stored', async () => {
        const key = credential({
          kind: 'key',
          name: 'ops key',
          email: 'ops@example.com',
          permission: 'read',
          accounts: [ACCOUNT, OTHER_ACCOUNT],
          expires_at: '2030-01-01T00:00:00.000000000Z',
        });
        await store.insertCredential(key, AUDIT);
        assert.deepEqual(await store.findCredentialBySecretHash(key.secret_hash), key);
        assert.equal(await store.findCredentialBySecretHash('0'.repeat(64)), undefined);
      });

      it('lists credentials by created_at, then id', async () => {
        const same = tick();
        const first = credential({ id: 'b'.repeat(32), created_at: same });
        const second = credential({ id: 'c'.repeat(32), created_at: same });
        const earliest = credential({
          id: 'f'.repeat(32),
          created_at: formatTimestamp(parseTimestamp(same) - 1n),
        });
        for (const c of [second, first, earliest]) await store.insertCredential(c, AUDIT);
        assert.deepEqual(await store.listCredentials(), [earliest, first, second]);
      });

      it('revokes a credential once', async () => {
        const token = credential();
        await store.insertCredential(token, AUDIT);
        const at = tick();
        assert.equal(await store.revokeCredential(token.id, at, AUDIT), true);
        assert.equal(await store.revokeCredential(token.id, tick(), AUDIT), false);
        assert.equal(await store.revokeCredential('0'.repeat(32), tick(), AUDIT), false);
        assert.equal((await store.findCredentialBySecretHash(token.secret_hash))?.revoked_at, at);
      });

      it('refuses a credential revoked through another replica within OTHERS_SEEN_WITHIN_MS', async () => {
        const token = credential();
        await store.insertCredential(token, AUDIT);
        assert.equal((await store.findCredentialBySecretHash(token.secret_hash))?.revoked_at, null);
        const other = await fixture.openAnother();
        const at = tick();
        assert.equal(await other.revokeCredential(token.id, at, AUDIT), true);
        await sleep(OTHERS_SEEN_WITHIN_MS);
        assert.equal((await store.findCredentialBySecretHash(token.secret_hash))?.revoked_at, at);
      });

      it('inserts the first credential only into an empty store', async () => {
        const first = credential();
        assert.equal(await store.insertFirstCredential(first, AUDIT), true);
        assert.equal(await store.insertFirstCredential(credential(), AUDIT), false);
        assert.deepEqual(await store.listCredentials(), [first]);
      });

      it('lets exactly one of many replicas starting at once insert the first credential', async () => {
        const stores = [store, await fixture.openAnother(), await fixture.openAnother()];
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            (stores[i % stores.length] as Store).insertFirstCredential(credential(), AUDIT),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal((await store.listCredentials()).length, 1);
      });
    });

    describe('export and import', () => {
      async function populate(target: Store) {
        const groups = [
          group({ policy_ids: ['p1', 'p0'] }),
          group({ policy_ids: [] }),
          group({ name: 'other 😀', version_config: [{ target_environment: null, version: '2026.1.2.1' }] }),
        ];
        await target.createDeploymentGroup(OTHER_ACCOUNT, groups[2] as DeploymentGroup, AUDIT);
        await target.createDeploymentGroup(ACCOUNT, groups[0] as DeploymentGroup, AUDIT);
        await target.createDeploymentGroup(ACCOUNT, groups[1] as DeploymentGroup, AUDIT);
        const credentials = [
          credential({ name: 'operator' }),
          credential({ kind: 'key', email: 'a@b.c', accounts: [ACCOUNT], expires_at: tick() }),
        ];
        for (const c of credentials) await target.insertCredential(c, AUDIT);
        await target.revokeCredential((credentials[1] as Credential).id, tick(), AUDIT);
        return { groups, credentials };
      }

      it('exports groups by account, created_at and id, then credentials, then the audit log in order', async () => {
        const { groups, credentials } = await populate(store);
        const records = await exported(store);
        assert.deepEqual(
          records.map((r) =>
            r.type === 'deployment_group'
              ? `${r.account_id}/${r.id}`
              : r.type === 'audit_entry'
                ? `${r.action} ${r.resource_id}`
                : r.type,
          ),
          [
            `${ACCOUNT}/${groups[0]?.id}`,
            `${ACCOUNT}/${groups[1]?.id}`,
            `${OTHER_ACCOUNT}/${groups[2]?.id}`,
            'credential',
            'credential',
            `create ${groups[2]?.id}`,
            `create ${groups[0]?.id}`,
            `create ${groups[1]?.id}`,
            `create ${credentials[0]?.id}`,
            `create ${credentials[1]?.id}`,
            `revoke ${credentials[1]?.id}`,
          ],
        );
      });

      it('exports the state of when it started, whatever is written meanwhile', async () => {
        await populate(store);
        const expected = await exported(store);
        const reading = store.exportRecords()[Symbol.asyncIterator]();
        const records = [(await reading.next()).value as BackupRecord];
        await store.createDeploymentGroup(ACCOUNT, group(), AUDIT);
        await store.insertCredential(credential(), AUDIT);
        for (let next = await reading.next(); !next.done; next = await reading.next())
          records.push(next.value);
        assert.deepEqual(records, expected);
      });

      it('imports an export into an empty store without loss', async () => {
        await populate(store);
        const records = await exported(store);
        const target = await backend.fresh();
        try {
          assert.deepEqual(await target.store.importRecords(recordsOf(records)), {
            deploymentGroups: 3,
            credentials: 2,
            auditEntries: 6,
            idempotencyKeys: 0,
            rollouts: 0,
          });
          assert.deepEqual(await exported(target.store), records);
          // Ownership came along: the imported groups own their policy IDs.
          assert.equal(
            (
              await conflictsOf(
                target.store.createDeploymentGroup(ACCOUNT, group({ policy_ids: ['p0'] }), AUDIT),
              )
            ).length,
            1,
          );
        } finally {
          await target.close();
        }
      });

      it('refuses to import into a non-empty store unless told to replace it', async () => {
        await store.insertCredential(credential(), AUDIT);
        const before = await exported(store);
        const incoming: BackupRecord[] = [
          { type: 'deployment_group', account_id: ACCOUNT, ...group(), revision: 1 },
        ];
        await assert.rejects(store.importRecords(recordsOf(incoming)), StoreNotEmptyError);
        assert.deepEqual(await exported(store), before);
        assert.deepEqual(await store.importRecords(recordsOf(incoming), { replace: true }), {
          deploymentGroups: 1,
          credentials: 0,
          auditEntries: 0,
          idempotencyKeys: 0,
          rollouts: 0,
        });
        assert.deepEqual(await exported(store), incoming);
      });

      it('imports nothing when a record fails or the input breaks off', async () => {
        const owner = group({ policy_ids: ['dup'] });
        const rival = group({ policy_ids: ['dup'] });
        await assert.rejects(
          store.importRecords(
            recordsOf([
              { type: 'deployment_group', account_id: ACCOUNT, ...owner },
              { type: 'deployment_group', account_id: ACCOUNT, ...rival },
            ]),
          ),
          PolicyConflictError,
        );
        async function* breaksOff(): AsyncGenerator<BackupRecord> {
          yield { type: 'credential', ...credential() };
          throw new Error('input ended early');
        }
        await assert.rejects(store.importRecords(breaksOff()), /input ended early/);
        assert.deepEqual(await exported(store), []);
        // And the store goes on working normally afterwards.
        await store.createDeploymentGroup(ACCOUNT, owner, AUDIT);
      });
    });
  });
}
