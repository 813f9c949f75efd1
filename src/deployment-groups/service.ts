// The rules of deployment groups (docs/contract.md §2, §5): ids, timestamps, what an update changes, and how
// an ownership conflict is reported. HTTP-free; the store does the SQL.
import { randomUUID } from 'node:crypto';
import type { AuditContext } from '../audit/model.ts';
import { formatTimestamp, NANOS_PER_DAY, now, nowAfter, nowNanos } from '../clock.ts';
import { ApiError, ERRORS } from '../errors.ts';
import { type Condition, requestHash, requireMatch } from '../http/conditional.ts';
import {
  type Audit,
  type GroupWire,
  IdempotencyMismatchError,
  type IdempotencyRequest,
  PolicyConflictError,
  type Store,
  type StoredGroup,
} from '../store/store.ts';
import {
  type CreateBody,
  type DeploymentGroup,
  GROUP_ID,
  type UpdateBody,
  type VersionConfigEntry,
} from './model.ts';

/** How a write is made: who makes it (its audit entry) and on what condition (If-Match). */
export interface WriteOptions {
  audit: AuditContext;
  ifMatch?: Condition;
  /** Run the write and roll it back (preview, docs/contract.md §8.3). */
  preview?: boolean;
  /** Sees the group a change or delete starts from, inside the transaction (preview's diff). */
  observe?: (current: StoredGroup) => void;
}

/** An Idempotency-Key sent with a create, with the credential it is scoped to. */
export interface IdempotencyOptions {
  credentialId: string;
  key: string;
  body: unknown;
}

/** How long an Idempotency-Key is remembered (docs/contract.md §8.1). */
export const IDEMPOTENCY_KEY_DAYS = 1;

export type CreateResult =
  | { replayed: false; stored: StoredGroup }
  | { replayed: true; status: number; stored: StoredGroup };

export class DeploymentGroupService {
  constructor(private readonly store: Store) {}

  /** The page as served: each group's wire JSON (the read path, docs/performance.md). */
  listGroupWires(accountId: string, limit: number, offset: number) {
    return this.store.listGroupWires(accountId, { limit, offset });
  }

  /** The group as served (its wire JSON and ETag parts); 404 as getDeploymentGroup(). */
  async getGroupWire(accountId: string, groupId: string): Promise<GroupWire> {
    const wire = GROUP_ID.test(groupId) ? await this.store.getGroupWire(accountId, groupId) : undefined;
    if (!wire) throw new ApiError('groupNotFound');
    return wire;
  }

  async getDeploymentGroup(accountId: string, groupId: string): Promise<StoredGroup> {
    const stored = GROUP_ID.test(groupId)
      ? await this.store.getDeploymentGroup(accountId, groupId)
      : undefined;
    if (!stored) throw new ApiError('groupNotFound');
    return stored;
  }

  async createDeploymentGroup(
    accountId: string,
    body: CreateBody,
    options: WriteOptions,
    idempotency?: IdempotencyOptions,
  ): Promise<CreateResult> {
    const group = newDeploymentGroup(body, now());
    const key = idempotency && !options.preview ? storedKey(idempotency, { group, revision: 1 }) : undefined;
    const outcome = await withConflictsReported(group.policy_ids, () =>
      this.store.createDeploymentGroup(accountId, group, audit(options), key),
    );
    if (!outcome.replayed) return outcome;
    return { replayed: true, status: outcome.status, stored: outcome.response as StoredGroup };
  }

  /** Fields present in the body replace the stored ones; `updated_at` moves only if something changed. */
  async updateDeploymentGroup(
    accountId: string,
    groupId: string,
    body: UpdateBody,
    options: WriteOptions,
  ): Promise<StoredGroup> {
    const change = (current: StoredGroup): DeploymentGroup => {
      options.observe?.(current);
      requireMatch(options.ifMatch, current);
      return changed(current.group, {
        name: body.name ?? current.group.name,
        version_config:
          body.version_config === undefined
            ? current.group.version_config
            : normalizeVersionConfig(body.version_config),
        policy_ids: body.policy_ids === undefined ? current.group.policy_ids : body.policy_ids,
      });
    };
    const updated = GROUP_ID.test(groupId)
      ? await withConflictsReported(body.policy_ids ?? null, () =>
          this.store.updateDeploymentGroup(accountId, groupId, change, audit(options)),
        )
      : undefined;
    if (!updated) throw new ApiError('groupNotFound');
    return updated;
  }

  async deleteDeploymentGroup(
    accountId: string,
    groupId: string,
    options: WriteOptions,
  ): Promise<{ id: string }> {
    const check = (current: StoredGroup) => {
      options.observe?.(current);
      requireMatch(options.ifMatch, current);
    };
    const deleted =
      GROUP_ID.test(groupId) &&
      (await this.store.deleteDeploymentGroup(accountId, groupId, audit(options), check));
    if (!deleted) throw new ApiError('groupNotFound');
    return { id: groupId };
  }
}

function audit(options: WriteOptions): Audit {
  return { context: options.audit, preview: options.preview };
}

function storedKey({ credentialId, key, body }: IdempotencyOptions, stored: StoredGroup): IdempotencyRequest {
  const at = nowNanos();
  return {
    credentialId,
    key,
    requestHash: requestHash(body),
    at: formatTimestamp(at),
    expiredBefore: formatTimestamp(at - BigInt(IDEMPOTENCY_KEY_DAYS) * NANOS_PER_DAY),
    status: 200,
    response: stored,
  };
}

/** The group with `fields` applied: `current` itself if nothing changes, else with updated_at moved. */
export function changed(
  current: DeploymentGroup,
  fields: Pick<DeploymentGroup, 'name' | 'version_config' | 'policy_ids'>,
): DeploymentGroup {
  const next: DeploymentGroup = { ...current, ...fields };
  if (sameContent(current, next)) return current;
  return { ...next, updated_at: nowAfter(current.updated_at) };
}

/** Entries in wire key order, so that stored JSON compares equal whatever order the client used. */
/** The group a create body makes (docs/contract.md §2): a new id, both timestamps `timestamp`. */
export function newDeploymentGroup(body: CreateBody, timestamp: string): DeploymentGroup {
  return {
    id: randomUUID(),
    name: body.name,
    version_config: normalizeVersionConfig(body.version_config),
    policy_ids: body.policy_ids ?? null,
    created_at: timestamp,
    updated_at: timestamp,
  };
}

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

/** Turns the store's refusals into their answers: 422 for a reused key; the 409: one error per conflicting ID, pointing into the request. */
export async function withConflictsReported<T>(
  requested: string[] | null,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof IdempotencyMismatchError) throw new ApiError('idempotencyMismatch');
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
