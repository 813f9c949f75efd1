// The rules of deployment groups (docs/contract.md §2, §5): ids, timestamps, what an update changes, and how
// an ownership conflict is reported. HTTP-free; the store does the SQL.
import { randomUUID } from 'node:crypto';
import { now, nowAfter } from '../clock.ts';
import { ApiError, ERRORS } from '../errors.ts';
import { PolicyConflictError, type Store } from '../store/store.ts';
import {
  type CreateBody,
  type DeploymentGroup,
  GROUP_ID,
  type UpdateBody,
  type VersionConfigEntry,
} from './model.ts';

export class DeploymentGroupService {
  constructor(private readonly store: Store) {}

  listDeploymentGroups(accountId: string, limit: number, offset: number) {
    return this.store.listDeploymentGroups(accountId, { limit, offset });
  }

  async getDeploymentGroup(accountId: string, groupId: string): Promise<DeploymentGroup> {
    const group = GROUP_ID.test(groupId)
      ? await this.store.getDeploymentGroup(accountId, groupId)
      : undefined;
    if (!group) throw new ApiError('groupNotFound');
    return group;
  }

  async createDeploymentGroup(accountId: string, body: CreateBody): Promise<DeploymentGroup> {
    const timestamp = now();
    const group: DeploymentGroup = {
      id: randomUUID(),
      name: body.name,
      version_config: normalizeVersionConfig(body.version_config),
      policy_ids: body.policy_ids ?? null,
      created_at: timestamp,
      updated_at: timestamp,
    };
    await withConflictsReported(group.policy_ids, () => this.store.createDeploymentGroup(accountId, group));
    return group;
  }

  /** Fields present in the body replace the stored ones; `updated_at` moves only if something changed. */
  async updateDeploymentGroup(
    accountId: string,
    groupId: string,
    body: UpdateBody,
  ): Promise<DeploymentGroup> {
    const change = (current: DeploymentGroup): DeploymentGroup => {
      const next: DeploymentGroup = {
        ...current,
        name: body.name ?? current.name,
        version_config:
          body.version_config === undefined
            ? current.version_config
            : normalizeVersionConfig(body.version_config),
        policy_ids: body.policy_ids === undefined ? current.policy_ids : body.policy_ids,
      };
      if (sameContent(current, next)) return current;
      return { ...next, updated_at: nowAfter(current.updated_at) };
    };
    const updated = GROUP_ID.test(groupId)
      ? await withConflictsReported(body.policy_ids ?? null, () =>
          this.store.updateDeploymentGroup(accountId, groupId, change),
        )
      : undefined;
    if (!updated) throw new ApiError('groupNotFound');
    return updated;
  }

  async deleteDeploymentGroup(accountId: string, groupId: string): Promise<{ id: string }> {
    const deleted = GROUP_ID.test(groupId) && (await this.store.deleteDeploymentGroup(accountId, groupId));
    if (!deleted) throw new ApiError('groupNotFound');
    return { id: groupId };
  }
}

/** Entries in wire key order, so that stored JSON compares equal whatever order the client used. */
export function normalizeVersionConfig(entries: VersionConfigEntry[]): VersionConfigEntry[] {
  return entries.map(({ target_environment, version }) => ({ target_environment, version }));
}

function sameContent(a: DeploymentGroup, b: DeploymentGroup): boolean {
  return (
    a.name === b.name &&
    JSON.stringify(a.version_config) === JSON.stringify(b.version_config) &&
    JSON.stringify(a.policy_ids) === JSON.stringify(b.policy_ids)
  );
}

/** Turns the store's conflict into the 409: one error per conflicting ID, pointing into the request. */
async function withConflictsReported<T>(requested: string[] | null, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof PolicyConflictError)) throw error;
    throw new ApiError('policyConflict', {
      details: error.conflicts.map(({ policyId, groupId }) => ({
        code: ERRORS.policyConflict.code,
        message: `Policy ID ${policyId} already belongs to deployment group ${groupId}`,
        source: { pointer: `/policy_ids/${requested?.indexOf(policyId) ?? 0}` },
        meta: { deployment_group_id: groupId },
      })),
    });
  }
}
