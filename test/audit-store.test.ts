// The store's audit list query (src/store/audit-query.ts) on both backends, checked against a model: for
// random queries — scope, time window, any filter condition, direction, keyset or offset page — each
// backend answers exactly what evaluating the condition in memory (`matches`, which the Cloudflare renderers
// label entries with) and sorting by seq answers. So the SQL, the in-memory twin and both backends agree.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { AuditEntry, NewAuditEntry } from '../src/audit/model.ts';
import { type AuditColumn, type AuditCondition, type AuditQuery, matches } from '../src/store/audit-query.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/accounts.ts';
import { auditEntry, insertPostgresAuditEntries, insertSqliteAuditEntries } from './support/audit.ts';
import { reportPostgresSkipped, withClient } from './support/postgres.ts';
import { type OpenedStore, storeBackends } from './support/stores.ts';

const ACCOUNTS = [ACCOUNT, OTHER_ACCOUNT, null] as const;
const ACTIONS = ['create', 'update', 'delete', 'revert', 'revoke'] as const;
const INTERFACES = ['API', 'dashboard', 'CLI', 'rollout'] as const;
const EMAILS = [null, 'ops@example.com', 'dev@example.com'] as const;
const IPS = [null, '10.1.2.3', '192.168.0.7', '::ffff:10.0.0.1'] as const;
const STATUSES = [null, 200, 201] as const;

/** 80 entries over three days, every attribute cycling through its domain at its own pace. */
const FIXTURE: NewAuditEntry[] = Array.from({ length: 80 }, (_, i) =>
  auditEntry({
    account_id: ACCOUNTS[i % 3] as string | null,
    // Not in seq order everywhere: `at` and seq may disagree a little (two replicas' clocks).
    at: `2026-07-0${1 + Math.floor(i / 30)}T${String(i % 24).padStart(2, '0')}:00:00.000000000Z`,
    action: ACTIONS[i % 5] as NewAuditEntry['action'],
    interface: INTERFACES[i % 4] as NewAuditEntry['interface'],
    actor_type: i % 4 >= 2 ? 'system' : 'user',
    actor_email: EMAILS[i % 3] as string | null,
    actor_ip: IPS[i % 4] as string | null,
    status: STATUSES[i % 3] as number | null,
    resource_id: `r${i % 7}`,
  }),
);

const columnValues: Partial<Record<AuditColumn, readonly (string | number | null)[]>> = {
  account_id: ACCOUNTS,
  action: ACTIONS,
  interface: INTERFACES,
  actor_type: ['user', 'system'],
  actor_email: EMAILS,
  actor_ip: IPS,
  status: STATUSES,
  resource_id: ['r0', 'r1', 'r3', 'r6', 'r9'],
};
const columns = Object.keys(columnValues) as AuditColumn[];

const leaf: fc.Arbitrary<AuditCondition> = fc.oneof(
  fc
    .constantFrom(...columns)
    .chain((column) =>
      fc
        .subarray((columnValues[column] ?? []).filter((v) => v !== null) as (string | number)[])
        .map((values): AuditCondition => ({ op: 'in', column, values })),
    ),
  fc.constantFrom(...columns).map((column): AuditCondition => ({ op: 'null', column })),
  fc.constantFrom<AuditCondition>({ op: 'true' }, { op: 'false' }),
);
const condition: fc.Arbitrary<AuditCondition> = fc.letrec<{ node: AuditCondition }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('node').map((inner): AuditCondition => ({ op: 'not', condition: inner })),
    fc.array(tie('node'), { maxLength: 3 }).map((conditions): AuditCondition => ({ op: 'and', conditions })),
    fc.array(tie('node'), { maxLength: 3 }).map((conditions): AuditCondition => ({ op: 'or', conditions })),
  ),
})).node;

const day = fc.constantFrom(undefined, '2026-07-01', '2026-07-02', '2026-07-03', '2026-07-04');
const query: fc.Arbitrary<AuditQuery> = fc.record({
  scope: fc.oneof(
    fc.constant<AuditQuery['scope']>('all'),
    fc.record({ accountId: fc.constantFrom(ACCOUNT, OTHER_ACCOUNT), withUnscoped: fc.boolean() }),
  ),
  since: day.map((d) => d && `${d}T00:00:00.000000000Z`),
  before: day.map((d) => d && `${d}T12:00:00.000000000Z`),
  where: fc.option(condition, { nil: undefined }),
  direction: fc.constantFrom('asc' as const, 'desc' as const),
  afterSeq: fc.option(fc.integer({ min: 1, max: 81 }), { nil: undefined }),
  offset: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  limit: fc.integer({ min: 1, max: 25 }),
});

/** What the store must answer: the model of docs/contract.md §8.2's listing. */
function expected(all: AuditEntry[], q: AuditQuery): AuditEntry[] {
  const inScope = (entry: AuditEntry) =>
    q.scope === 'all' ||
    entry.account_id === q.scope.accountId ||
    (q.scope.withUnscoped && entry.account_id === null);
  const kept = all.filter(
    (entry) =>
      inScope(entry) &&
      (q.since === undefined || entry.at >= q.since) &&
      (q.before === undefined || entry.at < q.before) &&
      (q.afterSeq === undefined ||
        (q.direction === 'desc' ? entry.seq < q.afterSeq : entry.seq > q.afterSeq)) &&
      (q.where === undefined || matches(q.where, entry)),
  );
  kept.sort((a, b) => (q.direction === 'desc' ? b.seq - a.seq : a.seq - b.seq));
  const offset = q.offset ?? 0;
  return kept.slice(offset, offset + q.limit);
}

/** Each backend's store holding FIXTURE, written straight into its database as the store would. */
const backends = storeBackends('audit').map(({ name, open }) => ({
  name,
  async open(): Promise<OpenedStore> {
    const opened = await open();
    if (opened.path) insertSqliteAuditEntries(opened.path, FIXTURE);
    else {
      await withClient(opened.url as string, (client) =>
        insertPostgresAuditEntries((text, values) => client.query(text, values), FIXTURE),
      );
    }
    return opened;
  },
}));
reportPostgresSkipped('audit-store (PostgreSQL)');

for (const backend of backends) {
  describe(`the audit list query on ${backend.name}`, () => {
    let opened: OpenedStore;
    let all: AuditEntry[];
    before(async () => {
      opened = await backend.open();
      all = await opened.store.listAuditEntries({ scope: 'all', direction: 'asc', limit: 1000 });
    });
    after(async () => opened.close());

    test('every entry comes back as written, with seq 1…n in writing order', () => {
      assert.equal(all.length, FIXTURE.length);
      all.forEach((entry, i) => {
        const { seq, ...rest } = entry;
        assert.equal(seq, i + 1);
        assert.deepEqual(rest, FIXTURE[i]);
      });
    });

    test('any query answers what the model answers', async () => {
      await fc.assert(
        fc.asyncProperty(query, async (q) => {
          const answer = await opened.store.listAuditEntries(q);
          assert.deepEqual(
            answer.map((e) => e.seq),
            expected(all, q).map((e) => e.seq),
          );
        }),
        { numRuns: 300 },
      );
    });

    test('the client addresses of a scope, each once', async () => {
      const addresses = await opened.store.listAuditAddresses({ accountId: ACCOUNT, withUnscoped: false });
      const model = new Set(
        all.filter((e) => e.account_id === ACCOUNT && e.actor_ip !== null).map((e) => e.actor_ip),
      );
      assert.deepEqual(new Set(addresses), model);
      assert.equal(addresses.length, model.size);
    });
  });
}
