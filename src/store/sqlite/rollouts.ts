// Rollouts on SQLite (docs/contract.md §8.5, docs/decisions/0013-rollout-scheduler.md). One server per file
// (ADR 0007) and every write in the group commit's one transaction, each in its own savepoint: a step
// reads, decides and writes without anything else running in between, and fails as a whole.
import type { Database, Statement } from 'better-sqlite3';
import { groupEntry } from '../../audit/entries.ts';
import type { Rollout, RolloutState } from '../../rollouts/model.ts';
import type { RolloutRecord } from '../backup.ts';
import {
  changedStages,
  rolloutSql,
  rolloutUpdateValues,
  rolloutValues,
  type SteppedRollout,
  stagesByRollout,
  stageUpdateValues,
  stageValues,
  toRollout,
  toRolloutRecord,
} from '../rollout-rows.ts';
import { type Row, toStoredGroup, updateValues } from '../rows.ts';
import type { PageRequest, RolloutPage, RolloutStep, RolloutWrite, StoredGroup } from '../store.ts';
import { insertAuditEntry } from './audit.ts';
import type { GroupCommit } from './group-commit.ts';
import type { Statements } from './statements.ts';

const SQL = rolloutSql(() => '?');

export class SqliteRollouts {
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly commits: GroupCommit,
    private readonly s: Statements,
  ) {}

  insert(accountId: string, rollout: Rollout, check: (others: Rollout[]) => void): Promise<void> {
    return this.commits.write(() => {
      check(this.active(accountId));
      this.prepare(SQL.insertRollout).run(...rolloutValues(accountId, rollout));
      rollout.stages.forEach((stage, i) => {
        this.prepare(SQL.insertStage).run(...stageValues(rollout.id, i, stage));
      });
    });
  }

  list(accountId: string, { limit, offset }: PageRequest, state?: RolloutState): RolloutPage {
    const filter = state === undefined ? [] : [state];
    const total = Number(
      (this.prepare(SQL.count(state !== undefined)).get(accountId, ...filter) as Row).total,
    );
    if (offset >= total) return { rollouts: [], total };
    const rows = this.prepare(SQL.list(state !== undefined)).all(
      accountId,
      ...filter,
      limit,
      offset,
    ) as Row[];
    return { rollouts: rows.map((row) => this.withStages(row)), total };
  }

  get(accountId: string, rolloutId: string): Rollout | undefined {
    const row = this.prepare(SQL.get).get(rolloutId, accountId) as Row | undefined;
    return row && this.withStages(row);
  }

  change(accountId: string, rolloutId: string, step: RolloutStep): Promise<Rollout | undefined> {
    return this.commits.write(() => {
      const rollout = this.get(accountId, rolloutId);
      return rollout && this.run(accountId, rollout, step);
    });
  }

  /**
   * The group commit's transaction is the only writer of the file: the stage found is ours alone. Resolves
   * to the rollout stepped and its account, once committed.
   */
  advance(now: string, step: RolloutStep): Promise<SteppedRollout | undefined> {
    // A read first: an idle tick takes no write lock (a CLI command on the file never waits for it).
    if (!this.prepare(SQL.due).get(now)) return Promise.resolve(undefined);
    return this.commits.write(() => {
      const due = this.prepare(SQL.due).get(now) as Row | undefined;
      if (!due) return undefined;
      const accountId = due.account_id as string;
      const rollout = this.get(accountId, due.rollout_id as string) as Rollout;
      return { accountId, rollout: this.run(accountId, rollout, step) };
    });
  }

  private run(accountId: string, rollout: Rollout, step: RolloutStep): Rollout {
    const rings = new Map<string, StoredGroup>();
    for (const id of step.rings(rollout)) {
      const row = this.s.get.get(id, accountId) as Row | undefined;
      if (row) rings.set(id, toStoredGroup(row));
    }
    const others = step.others ? this.active(accountId) : [];
    const write = step.run({ rollout, rings, others });
    this.write(accountId, rollout, write);
    return write.rollout;
  }

  private write(accountId: string, before: Rollout, { rollout, rings }: RolloutWrite): void {
    if (rollout === before && rings.length === 0) return;
    this.prepare(SQL.updateRollout).run(...rolloutUpdateValues(rollout));
    for (const i of changedStages(before, rollout)) {
      this.prepare(SQL.updateStage).run(...stageUpdateValues(rollout.id, i, rollout.stages[i] as never));
    }
    for (const { current, next, audit } of rings) {
      const stored = { group: next, revision: current.revision + 1 };
      this.s.updateGroup.run(...updateValues(next, stored.revision), next.id, accountId);
      insertAuditEntry(this.s, groupEntry(accountId, audit, 'update', current, stored));
    }
  }

  private active(accountId: string): Rollout[] {
    const stages = stagesByRollout(this.prepare(SQL.activeStages).all(accountId) as Row[]);
    return (this.prepare(SQL.active).all(accountId) as Row[]).map((row) =>
      toRollout(row, stages.get(row.id as string) ?? []),
    );
  }

  private withStages(row: Row): Rollout {
    return toRollout(row, this.prepare(SQL.stages).all(row.id) as Row[]);
  }

  private prepare(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }
}

/** Every rollout with its stages, in export order, read on `reader` (the export's snapshot). */
export function* exportRollouts(reader: Database): Generator<RolloutRecord> {
  const stages = reader.prepare(SQL.stages);
  // Read whole before the stages: a connection runs no statement while another one iterates.
  for (const row of reader.prepare(SQL.exportPage(false)).all(-1) as Row[]) {
    yield toRolloutRecord(row, stages.all(row.id) as Row[]);
  }
}

/** Inserts imported rollouts and their stages (inside the import's transaction). */
export function importRollouts(db: Database, batch: RolloutRecord[]): void {
  const insertRollout = db.prepare(SQL.insertRollout);
  const insertStage = db.prepare(SQL.insertStage);
  for (const { type: _, account_id: accountId, ...rollout } of batch) {
    insertRollout.run(...rolloutValues(accountId, rollout));
    rollout.stages.forEach((stage, i) => {
      insertStage.run(...stageValues(rollout.id, i, stage));
    });
  }
}
