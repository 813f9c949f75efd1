// Rollouts on PostgreSQL (docs/contract.md §8.5, docs/decisions/0013-rollout-scheduler.md), where any number
// of replicas share the database. A step runs in one transaction holding the rollout's row (FOR UPDATE)
// and its rings' rows (FOR UPDATE, in id order). The scheduler takes a due stage's row with FOR UPDATE
// SKIP LOCKED and the rollout's with SKIP LOCKED too, so replicas never wait for each other's stages, a
// replica dying mid-apply rolls back and releases the row for another, and a stage applied and committed
// is no longer pending for anyone. Steps that read the other active rollouts (create, resume) serialize per
// account on a transaction-scoped advisory lock.
import type { PoolClient, QueryConfig } from 'pg';
import { groupEntry } from '../../audit/entries.ts';
import type { Rollout, RolloutState } from '../../rollouts/model.ts';
import type { RolloutRecord } from '../backup.ts';
import {
  changedStages,
  rolloutSql,
  rolloutUpdateValues,
  rolloutValues,
  STAGE_COLUMNS,
  type SteppedRollout,
  stagesByRollout,
  stageUpdateValues,
  stageValues,
  toRollout,
  toRolloutRecord,
} from '../rollout-rows.ts';
import { type Row, toStoredGroup, updateValues } from '../rows.ts';
import { selectGroups } from '../sql.ts';
import type { PageRequest, RolloutPage, RolloutStep, RolloutWrite, StoredGroup } from '../store.ts';
import { auditInsert } from './audit.ts';
import { maintenance } from './migrate.ts';
import { pipeline } from './pipeline.ts';
import { SQL as GROUP_SQL } from './statements.ts';

const SQL = rolloutSql((n) => `$${n}`);
const LOCK_ROLLOUT = `${SQL.get} FOR UPDATE`;
const TAKE_ROLLOUT = `${SQL.get} FOR UPDATE SKIP LOCKED`;
const TAKE_DUE_STAGE = `${SQL.due} FOR UPDATE OF s SKIP LOCKED`;
const LOCK_RINGS = `${selectGroups()} WHERE account_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE`;
const STAGES_OF = `SELECT ${STAGE_COLUMNS.join(', ')} FROM rollout_stages WHERE rollout_id = ANY($1::text[])`;
/** Serializes, per account, the steps that read the other active rollouts. */
const LOCK_ACCOUNT = "SELECT pg_advisory_xact_lock(hashtextextended('ringmaster rollouts ' || $1, 0))";

type Query = <R extends Row>(config: QueryConfig) => Promise<{ rows: R[] }>;
type Transaction = <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>;

export class PostgresRollouts {
  constructor(
    private readonly query: Query,
    private readonly transaction: Transaction,
  ) {}

  insert(accountId: string, rollout: Rollout, check: (others: Rollout[]) => void): Promise<void> {
    return this.transaction(async (client) => {
      await pipeline(client, ['BEGIN', { text: LOCK_ACCOUNT, values: [accountId] }]);
      check(await active(client, accountId));
      await pipeline(client, [
        { text: SQL.insertRollout, values: rolloutValues(accountId, rollout) },
        ...rollout.stages.map((stage, i) => ({
          text: SQL.insertStage,
          values: stageValues(rollout.id, i, stage),
        })),
        'COMMIT',
      ]);
    });
  }

  async list(accountId: string, { limit, offset }: PageRequest, state?: RolloutState): Promise<RolloutPage> {
    const filter = state === undefined ? [] : [state];
    const [count, page] = await Promise.all([
      this.query<{ total: string }>({ text: SQL.count(state !== undefined), values: [accountId, ...filter] }),
      this.query<Row>({ text: SQL.list(state !== undefined), values: [accountId, ...filter, limit, offset] }),
    ]);
    return { rollouts: await withStages(this.query, page.rows), total: Number(count.rows[0]?.total ?? 0) };
  }

  async get(accountId: string, rolloutId: string): Promise<Rollout | undefined> {
    const { rows } = await this.query<Row>({ text: SQL.get, values: [rolloutId, accountId] });
    return (await withStages(this.query, rows))[0];
  }

  change(accountId: string, rolloutId: string, step: RolloutStep): Promise<Rollout | undefined> {
    return this.transaction(async (client) => {
      const [, locked] = await pipeline(client, [
        'BEGIN',
        { text: LOCK_ROLLOUT, values: [rolloutId, accountId] },
      ]);
      const rollout = await loaded(client, locked?.rows ?? []);
      if (!rollout) {
        await client.query('ROLLBACK');
        return undefined;
      }
      return run(client, accountId, rollout, step);
    });
  }

  /** Resolves to the rollout stepped and its account, once committed. */
  advance(now: string, step: RolloutStep): Promise<SteppedRollout | undefined> {
    return this.transaction(async (client) => {
      const [, due] = await pipeline(client, ['BEGIN', { text: TAKE_DUE_STAGE, values: [now] }]);
      const stage = due?.rows[0] as Row | undefined;
      const accountId = stage?.account_id as string;
      // A user's pause or abort holding the rollout is let finish: the stage is looked at again next tick.
      const taken =
        stage && (await client.query({ text: TAKE_ROLLOUT, values: [stage.rollout_id, accountId] }));
      const rollout = taken ? await loaded(client, taken.rows) : undefined;
      if (!rollout) {
        await client.query('ROLLBACK');
        return undefined;
      }
      return { accountId, rollout: await run(client, accountId, rollout, step) };
    });
  }
}

/** Locks what the step names, runs it, writes its result and commits (rolls back if it changed nothing). */
async function run(
  client: PoolClient,
  accountId: string,
  rollout: Rollout,
  step: RolloutStep,
): Promise<Rollout> {
  const ids = step.rings(rollout);
  const ringRows =
    ids.length === 0 ? [] : (await client.query<Row>({ text: LOCK_RINGS, values: [accountId, ids] })).rows;
  if (step.others) await client.query({ text: LOCK_ACCOUNT, values: [accountId] });
  const others = step.others ? await active(client, accountId) : [];
  const rings = new Map<string, StoredGroup>(ringRows.map((row) => [row.id as string, toStoredGroup(row)]));
  const write = step.run({ rollout, rings, others });
  if (write.rollout === rollout && write.rings.length === 0) {
    await client.query('ROLLBACK');
    return rollout;
  }
  await pipeline(client, [...writes(accountId, rollout, write), 'COMMIT']);
  return write.rollout;
}

function writes(accountId: string, before: Rollout, { rollout, rings }: RolloutWrite): QueryConfig[] {
  const statements: QueryConfig[] = [{ text: SQL.updateRollout, values: rolloutUpdateValues(rollout) }];
  for (const i of changedStages(before, rollout)) {
    statements.push({
      text: SQL.updateStage,
      values: stageUpdateValues(rollout.id, i, rollout.stages[i] as never),
    });
  }
  for (const { current, next, audit } of rings) {
    const stored = { group: next, revision: current.revision + 1 };
    statements.push(
      { ...GROUP_SQL.updateGroup, values: [...updateValues(next, stored.revision), next.id, accountId] },
      auditInsert(groupEntry(accountId, audit, 'update', current, stored)),
    );
  }
  return statements;
}

/** The account's active rollouts, with their stages. */
async function active(client: PoolClient, accountId: string): Promise<Rollout[]> {
  const [rollouts, stages] = await pipeline(client, [
    { text: SQL.active, values: [accountId] },
    { text: SQL.activeStages, values: [accountId] },
  ]);
  const grouped = stagesByRollout(stages?.rows ?? []);
  return (rollouts?.rows ?? []).map((row) => toRollout(row, grouped.get(row.id as string) ?? []));
}

async function loaded(client: PoolClient, rows: Row[]): Promise<Rollout | undefined> {
  return (await withStages((config) => client.query(config), rows))[0];
}

async function withStages(query: Query, rows: Row[]): Promise<Rollout[]> {
  if (rows.length === 0) return [];
  const { rows: stageRows } = await query<Row>({ text: STAGES_OF, values: [rows.map((row) => row.id)] });
  const grouped = stagesByRollout(stageRows);
  return rows.map((row) => toRollout(row, grouped.get(row.id as string) ?? []));
}

/** Rollouts per round trip when exporting. */
const EXPORT_BATCH = 1_000;

/** Every rollout with its stages, in export order, page by page on `client` (the export's snapshot). */
export async function* exportRollouts(client: PoolClient): AsyncGenerator<RolloutRecord> {
  let last: Row | undefined;
  for (;;) {
    const values = last ? [EXPORT_BATCH, last.account_id, last.created_at, last.id] : [EXPORT_BATCH];
    const { rows } = await client.query<Row>(maintenance(SQL.exportPage(last !== undefined), values));
    if (rows.length > 0) {
      const stages = await client.query<Row>(maintenance(STAGES_OF, [rows.map((row) => row.id)]));
      const grouped = stagesByRollout(stages.rows);
      for (const row of rows) yield toRolloutRecord(row, grouped.get(row.id as string) ?? []);
    }
    last = rows.at(-1);
    if (rows.length < EXPORT_BATCH) return;
  }
}

/** Inserts imported rollouts and their stages (inside the import's transaction), one round trip a batch. */
export async function importRollouts(client: PoolClient, batch: RolloutRecord[]): Promise<void> {
  const statements: QueryConfig[] = [];
  for (const { type: _, account_id: accountId, ...rollout } of batch) {
    statements.push(maintenance(SQL.insertRollout, rolloutValues(accountId, rollout)));
    rollout.stages.forEach((stage, i) => {
      statements.push(maintenance(SQL.insertStage, stageValues(rollout.id, i, stage)));
    });
  }
  await pipeline(client, statements);
}
