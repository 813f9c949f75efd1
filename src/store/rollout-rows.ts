// Rollouts as both backends store them (migrations/*/005_rollouts.sql): the one mapping between the model
// (rollouts/model.ts) and the rows of `rollouts` and `rollout_stages`, and the SQL both backends write the
// same way apart from their placeholders. Each backend's rollouts.ts runs it.
import { ACTIVE_STATES, type Rollout, type Stage } from '../rollouts/model.ts';
import type { RolloutRecord } from './backup.ts';
import type { Row } from './rows.ts';
import type { Placeholder } from './sql.ts';

/** What a scheduler step applied: the rollout after it, and its account (whose groups it may have changed). */
export interface SteppedRollout {
  accountId: string;
  rollout: Rollout;
}

export const ROLLOUT_COLUMNS = [
  'id',
  'account_id',
  'name',
  'state',
  'state_reason',
  'version_config',
  'start_at',
  'created_by',
  'created_at',
  'updated_at',
] as const;
export const STAGE_COLUMNS = [
  'rollout_id',
  'position',
  'deployment_group_id',
  'wait',
  'state',
  'due_at',
  'applied_at',
  'replaced',
] as const;
const JSON_COLUMNS = new Set(['version_config', 'created_by', 'replaced']);

function encode(column: string, value: unknown): unknown {
  return JSON_COLUMNS.has(column) && value !== null ? JSON.stringify(value) : value;
}

function decode(column: string, value: unknown): unknown {
  return JSON_COLUMNS.has(column) && value !== null ? JSON.parse(value as string) : value;
}

export function rolloutValues(accountId: string, rollout: Rollout): unknown[] {
  const row: Row = { ...rollout, account_id: accountId };
  return ROLLOUT_COLUMNS.map((column) => encode(column, row[column]));
}

export function stageValues(rolloutId: string, position: number, stage: Stage): unknown[] {
  const row: Row = { ...stage, rollout_id: rolloutId, position };
  return STAGE_COLUMNS.map((column) => encode(column, row[column]));
}

/** A rollout row and its stage rows (in position order) as the rollout. */
export function toRollout(row: Row, stages: Row[]): Rollout {
  const rollout: Row = {};
  for (const column of ROLLOUT_COLUMNS) {
    if (column !== 'account_id') rollout[column] = decode(column, row[column]);
  }
  rollout.stages = stages.map((stageRow) => {
    const stage: Row = {};
    for (const column of STAGE_COLUMNS.slice(2)) stage[column] = decode(column, stageRow[column]);
    return stage;
  });
  return rollout as unknown as Rollout;
}

/** A rollout row and its stage rows as a backup record (version 3). */
export function toRolloutRecord(row: Row, stages: Row[]): RolloutRecord {
  return { type: 'rollout', account_id: row.account_id as string, ...toRollout(row, stages) };
}

/** Stage rows, grouped by rollout id, each group in position order. */
export function stagesByRollout(rows: Row[]): Map<string, Row[]> {
  const grouped = new Map<string, Row[]>();
  const sorted = [...rows].sort((a, b) => Number(a.position) - Number(b.position));
  for (const row of sorted) {
    const id = row.rollout_id as string;
    grouped.set(id, [...(grouped.get(id) ?? []), row]);
  }
  return grouped;
}

/** What a write changes: the rollout's own row, and each stage whose content differs. */
export function changedStages(before: Rollout, after: Rollout): number[] {
  return after.stages.flatMap((stage, i) =>
    JSON.stringify(stage) === JSON.stringify(before.stages[i]) ? [] : [i],
  );
}

const ACTIVE = ACTIVE_STATES.map((state) => `'${state}'`).join(', ');
const SELECT_ROLLOUTS = `SELECT ${ROLLOUT_COLUMNS.join(', ')} FROM rollouts`;
const SELECT_STAGES = `SELECT ${STAGE_COLUMNS.join(', ')} FROM rollout_stages`;

function insert(table: string, columns: readonly string[], p: Placeholder): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => p(i + 1)).join(', ')})`;
}

export const rolloutSql = (p: Placeholder) => ({
  insertRollout: insert('rollouts', ROLLOUT_COLUMNS, p),
  insertStage: insert('rollout_stages', STAGE_COLUMNS, p),
  /** One rollout of account $2. */
  get: `${SELECT_ROLLOUTS} WHERE id = ${p(1)} AND account_id = ${p(2)}`,
  stages: `${SELECT_STAGES} WHERE rollout_id = ${p(1)} ORDER BY position`,
  /** A page of account $1 (in state $2 if `state`), newest first. */
  list: (state: boolean) => {
    const limit = state ? 3 : 2;
    return `${SELECT_ROLLOUTS} WHERE account_id = ${p(1)}${state ? ` AND state = ${p(2)}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT ${p(limit)} OFFSET ${p(limit + 1)}`;
  },
  count: (state: boolean) =>
    `SELECT count(*) AS total FROM rollouts WHERE account_id = ${p(1)}${state ? ` AND state = ${p(2)}` : ''}`,
  /** The active rollouts of account $1. */
  active: `${SELECT_ROLLOUTS} WHERE account_id = ${p(1)} AND state IN (${ACTIVE})`,
  /** The stages of the active rollouts of account $1. */
  activeStages: `${SELECT_STAGES} WHERE rollout_id IN
    (SELECT id FROM rollouts WHERE account_id = ${p(1)} AND state IN (${ACTIVE}))`,
  /** The earliest stage due at $1 of an active rollout; PostgreSQL adds its row lock clause. */
  due: `SELECT s.rollout_id, s.position, r.account_id FROM rollout_stages s JOIN rollouts r ON r.id = s.rollout_id
    WHERE s.state = 'pending' AND s.due_at IS NOT NULL AND s.due_at <= ${p(1)} AND r.state IN (${ACTIVE})
    ORDER BY s.due_at, s.rollout_id LIMIT 1`,
  /** Export order: by account, created_at, id; after the row ($2, $3, $4) of the page before, if any. */
  exportPage: (after: boolean) =>
    `${SELECT_ROLLOUTS} ${after ? `WHERE (account_id, created_at, id) > (${p(2)}, ${p(3)}, ${p(4)})` : ''}
      ORDER BY account_id, created_at, id LIMIT ${p(1)}`,
  updateRollout: `UPDATE rollouts SET state = ${p(1)}, state_reason = ${p(2)}, updated_at = ${p(3)} WHERE id = ${p(4)}`,
  updateStage: `UPDATE rollout_stages SET state = ${p(1)}, due_at = ${p(2)}, applied_at = ${p(3)}, replaced = ${p(4)}
    WHERE rollout_id = ${p(5)} AND position = ${p(6)}`,
});

/** The values of updateRollout and updateStage. */
export function rolloutUpdateValues(rollout: Rollout): unknown[] {
  return [rollout.state, rollout.state_reason, rollout.updated_at, rollout.id];
}

export function stageUpdateValues(rolloutId: string, position: number, stage: Stage): unknown[] {
  return [
    stage.state,
    stage.due_at,
    stage.applied_at,
    encode('replaced', stage.replaced),
    rolloutId,
    position,
  ];
}
