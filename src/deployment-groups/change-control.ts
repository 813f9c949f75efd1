// History, revert and preview (docs/contract.md §8.3), HTTP-free. History reads the group's audit
// entries; revert and preview go through DeploymentGroupService's own write path, so that they follow
// exactly the rules (and answers) of the requests they stand for.

import type { AuditEntry } from '../audit/model.ts';
import { now } from '../clock.ts';
import { ApiError, validationError } from '../errors.ts';
import { ifMatchHolds } from '../http/conditional.ts';
import { toViolations, validatorCompiler } from '../http/validation.ts';
import { GroupExistsError, PreviewRollback, type Store, type StoredGroup } from '../store/store.ts';
import {
  type CreateBody,
  createBodySchema,
  type DeploymentGroup,
  GROUP_ID,
  type UpdateBody,
  updateBodySchema,
} from './model.ts';
import type { FieldChange, HistoryEntry, PreviewBody, PreviewResult } from './schemas.ts';
import { changed, type DeploymentGroupService, type WriteOptions, withConflictsReported } from './service.ts';

/** What a history entry compares; updated_at moves with every change and says nothing of its own. */
const COMPARED: (keyof DeploymentGroup)[] = ['id', 'name', 'version_config', 'policy_ids', 'created_at'];

export class ChangeControl {
  private readonly checkCreate: (body: unknown) => void;
  private readonly checkUpdate: (body: unknown) => void;

  constructor(
    private readonly store: Store,
    private readonly groups: DeploymentGroupService,
    targetEnvironments: string[],
  ) {
    this.checkCreate = bodyCheck(createBodySchema(targetEnvironments));
    this.checkUpdate = bodyCheck(updateBodySchema(targetEnvironments));
  }

  /** The group's revisions, newest first; 404 only if it neither exists nor ever existed here. */
  async history(accountId: string, groupId: string, limit: number, offset: number) {
    const { entries, total } = GROUP_ID.test(groupId)
      ? await this.store.groupHistory(accountId, groupId, { limit, offset })
      : { entries: [], total: 0 };
    if (total === 0 && !(await this.exists(accountId, groupId))) throw new ApiError('groupNotFound');
    return { entries: entries.map(historyEntry), total };
  }

  /**
   * Makes the group what it was at `revision`, as a new revision. A deleted group comes back with its id
   * and created_at. If-Match names the current state, so it cannot hold for a deleted group.
   */
  async revert(
    accountId: string,
    groupId: string,
    revision: number,
    options: WriteOptions,
  ): Promise<StoredGroup> {
    const entry = GROUP_ID.test(groupId)
      ? await this.store.groupRevision(accountId, groupId, revision)
      : undefined;
    if (!entry) {
      if (!(await this.everExisted(accountId, groupId))) throw new ApiError('groupNotFound');
      throw validationError([
        { message: `the group has no revision ${revision} in its history`, pointer: '/revision' },
      ]);
    }
    const target = entry.after as DeploymentGroup | null;
    if (!target) {
      throw validationError([
        { message: `revision ${revision} is the group's deletion`, pointer: '/revision' },
      ]);
    }
    const audit = { context: options.audit, action: 'revert' as const, preview: options.preview };
    const fields = {
      name: target.name,
      version_config: target.version_config,
      policy_ids: target.policy_ids,
    };
    const update = () =>
      withConflictsReported(target.policy_ids, () =>
        this.store.updateDeploymentGroup(
          accountId,
          groupId,
          (current) => {
            options.observe?.(current);
            if (!ifMatchHolds(options.ifMatch, current)) throw new ApiError('preconditionFailed');
            return changed(current.group, fields);
          },
          audit,
        ),
      );
    const updated = await update();
    if (updated) return updated;
    if (options.ifMatch !== undefined) throw new ApiError('preconditionFailed');
    const restored = { ...target, updated_at: now() };
    try {
      return await withConflictsReported(target.policy_ids, () =>
        this.store.restoreDeploymentGroup(accountId, restored, audit),
      );
    } catch (error) {
      // Someone restored it meanwhile: revert what is there now instead.
      if (!(error instanceof GroupExistsError)) throw error;
      const again = await update();
      if (!again) throw new ApiError('groupNotFound');
      return again;
    }
  }

  /** What the request would answer now, through the real write path, rolled back. */
  async preview(accountId: string, request: PreviewBody, options: WriteOptions): Promise<PreviewResult> {
    const seen: { before: DeploymentGroup | null } = { before: null };
    const observed: WriteOptions = {
      ...options,
      preview: true,
      observe: (current) => {
        seen.before = current.group;
      },
    };
    const groupId = request.method === 'POST' ? undefined : requireGroupId(request.group_id);
    const result = await rolledBack(async () => {
      if (request.method === 'POST') {
        this.checkCreate(request.body);
        const created = await this.groups.createDeploymentGroup(
          accountId,
          request.body as CreateBody,
          observed,
        );
        return created.stored.group;
      }
      if (request.method === 'PATCH') {
        this.checkUpdate(request.body);
        return (
          await this.groups.updateDeploymentGroup(
            accountId,
            groupId as string,
            request.body as UpdateBody,
            observed,
          )
        ).group;
      }
      await this.groups.deleteDeploymentGroup(accountId, groupId as string, observed);
      return null;
    });
    const after = result as DeploymentGroup | null;
    return { deployment_group: after, changes: diff(seen.before, after) };
  }

  /** Exists now, or has a history here (a deleted group). */
  private async everExisted(accountId: string, groupId: string): Promise<boolean> {
    if (!GROUP_ID.test(groupId)) return false;
    if (await this.exists(accountId, groupId)) return true;
    return (await this.store.groupHistory(accountId, groupId, { limit: 1, offset: 0 })).total > 0;
  }

  private async exists(accountId: string, groupId: string): Promise<boolean> {
    return GROUP_ID.test(groupId) && (await this.store.getDeploymentGroup(accountId, groupId)) !== undefined;
  }
}

/** Resolves to what the previewed write would have resolved to (a write that changes nothing resolves). */
async function rolledBack(write: () => Promise<unknown>): Promise<unknown> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof PreviewRollback) {
      const result = error.result as { stored?: StoredGroup; group?: DeploymentGroup } | boolean;
      if (typeof result === 'boolean') return null;
      return result.stored?.group ?? result.group;
    }
    throw error;
  }
}

function requireGroupId(groupId: string | undefined): string {
  if (groupId === undefined) {
    throw validationError([{ message: 'is required for PATCH and DELETE', pointer: '/group_id' }]);
  }
  return groupId;
}

/** Checks a previewed body as its real request would be checked, pointers relative to that body. */
function bodyCheck(schema: object): (body: unknown) => void {
  const validate = validatorCompiler()({ schema, method: 'POST', url: 'preview', httpPart: 'body' }) as {
    (value: unknown): boolean;
    errors?: Parameters<typeof toViolations>[0] | null;
  };
  return (body) => {
    if (body === undefined)
      throw validationError([{ message: 'is required for POST and PATCH', pointer: '/body' }]);
    if (!validate(body)) throw validationError(toViolations(validate.errors ?? [], 'body'));
  };
}

function historyEntry(entry: AuditEntry): HistoryEntry {
  const before = entry.before as DeploymentGroup | null;
  const after = entry.after as DeploymentGroup | null;
  return {
    revision: entry.revision ?? 0,
    audit_log_id: entry.id,
    at: entry.at,
    action: entry.action,
    actor: {
      type: entry.actor_type,
      id: entry.actor_id,
      name: entry.actor_name,
      email: entry.actor_email,
      ip: entry.actor_ip,
      interface: entry.interface,
    },
    deployment_group: after,
    changes: diff(before, after),
  };
}

/** Field by field, what differs between two states of a group (null: it did not exist). */
export function diff(before: DeploymentGroup | null, after: DeploymentGroup | null): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of COMPARED) {
    const was = before ? before[field] : null;
    const is = after ? after[field] : null;
    if (before && after && JSON.stringify(was) === JSON.stringify(is)) continue;
    if (!before && !after) continue;
    changes.push({ field, before: was ?? null, after: is ?? null });
  }
  return changes;
}
