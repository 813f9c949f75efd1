// Reset and seed for test mode (docs/contract.md §8.6), on any store, through the store's own export and
// import: the import replaces everything in ONE transaction, so a seed that fails anywhere leaves the store
// exactly as it was, and neither needs a write path of its own in each backend
// (docs/decisions/0010-test-mode.md). Both rewrite the whole store, which is small in a test; writes that
// race with them are not supported, and they wait for each other.
import { now, nowAfter } from '../clock.ts';
import type { DeploymentGroup } from '../deployment-groups/model.ts';
import { newDeploymentGroup } from '../deployment-groups/service.ts';
import { ApiError, ERRORS, type ErrorDetail } from '../errors.ts';
import type { BackupRecord, GroupRecord } from '../store/backup.ts';
import type { Store } from '../store/store.ts';
import type { Fixtures, Seeded } from './model.ts';

export class TestState {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Store) {}

  /** Everything gone but the credentials. */
  reset(): Promise<void> {
    return this.serially(async () => {
      const credentials = (await this.snapshot()).filter((record) => record.type === 'credential');
      await this.store.importRecords(iterate(credentials), { replace: true });
    });
  }

  /**
   * Creates the fixtures' groups as creates would, in order (each a nanosecond after the one before, so
   * lists show them in the fixtures' order), after checking policy ownership against each other and the
   * store: a conflict is the 409 of a create, one error per ID with its pointer, and nothing is written.
   */
  seed(fixtures: Fixtures): Promise<Seeded> {
    return this.serially(async () => {
      const records = await this.snapshot();
      const owners = ownersOf(records);
      const conflicts: ErrorDetail[] = [];
      const seeded: Seeded = { accounts: {} };
      const created: GroupRecord[] = [];
      let timestamp = now();
      for (const [accountId, { deployment_groups: bodies }] of Object.entries(fixtures.accounts)) {
        const groups: DeploymentGroup[] = [];
        bodies.forEach((body, index) => {
          const group = newDeploymentGroup(body, timestamp);
          timestamp = nowAfter(timestamp);
          const at = `/accounts/${accountId}/deployment_groups/${index}/policy_ids`;
          conflicts.push(...claim(owners, accountId, group, at));
          groups.push(group);
          created.push({ type: 'deployment_group', account_id: accountId, ...group });
        });
        seeded.accounts[accountId] = { deployment_groups: groups };
      }
      if (conflicts.length > 0) throw new ApiError('policyConflict', { details: conflicts });
      await this.store.importRecords(iterate([...records, ...created]), { replace: true });
      return seeded;
    });
  }

  /** Runs `task` after every earlier reset or seed has finished. */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async snapshot(): Promise<BackupRecord[]> {
    const records: BackupRecord[] = [];
    for await (const record of this.store.exportRecords()) records.push(record);
    return records;
  }
}

/** `account_id policy_id` → the group that holds it. */
function ownersOf(records: BackupRecord[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const record of records) {
    if (record.type !== 'deployment_group') continue;
    for (const policyId of record.policy_ids ?? []) owners.set(`${record.account_id} ${policyId}`, record.id);
  }
  return owners;
}

/** Claims the group's policy IDs in `owners`; one violation per ID another group holds (§5). */
function claim(
  owners: Map<string, string>,
  accountId: string,
  group: DeploymentGroup,
  at: string,
): ErrorDetail[] {
  const conflicts: ErrorDetail[] = [];
  (group.policy_ids ?? []).forEach((policyId, index) => {
    const owner = owners.get(`${accountId} ${policyId}`);
    if (owner === undefined) owners.set(`${accountId} ${policyId}`, group.id);
    else {
      conflicts.push({
        code: ERRORS.policyConflict.code,
        message: `Policy ID ${policyId} already belongs to deployment group ${owner}`,
        source: { pointer: `${at}/${index}` },
        meta: { deployment_group_id: owner },
      });
    }
  });
  return conflicts;
}

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
