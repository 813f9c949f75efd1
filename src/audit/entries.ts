// Audit entries as a change writes them (docs/contract.md §8.2), backend-neutral: both stores build the
// entry here and insert it in the change's own transaction. What a resource looked like before and after
// is its public shape: a group as served, a credential without its secret hash.
import { randomUUID } from 'node:crypto';
import { formatTimestamp, NANOS_PER_MS, nowNanos } from '../clock.ts';
import type { DeploymentGroup } from '../deployment-groups/model.ts';
import type { Audit, StoredGroup } from '../store/store.ts';
import type { Credential } from '../tokens/model.ts';
import type { AuditAction, AuditChange, AuditContext, NewAuditEntry } from './model.ts';

/** The entry of a group change; `after` undefined for a delete (whose revision is the one after `before`). */
export function groupEntry(
  accountId: string,
  audit: Audit,
  action: AuditAction,
  before: StoredGroup | undefined,
  after: StoredGroup | undefined,
): NewAuditEntry {
  return newEntry(audit.context, nowNanos(), {
    account_id: accountId,
    action: audit.action ?? action,
    resource_type: 'deployment_group',
    resource_id: (after ?? before)?.group.id as string,
    revision: after?.revision ?? (before?.revision ?? 0) + 1,
    before: before ? snapshot(before.group) : null,
    after: after ? snapshot(after.group) : null,
  });
}

/**
 * The entries of a credential change: one in each granted account's log, or one for every account
 * (account_id null) when it grants all of them.
 */
export function credentialEntries(
  audit: Audit,
  action: AuditAction,
  before: Credential | undefined,
  after: Credential | undefined,
): NewAuditEntry[] {
  const credential = (after ?? before) as Credential;
  const at = nowNanos();
  return (credential.accounts ?? [null]).map((accountId) =>
    newEntry(audit.context, at, {
      account_id: accountId,
      action: audit.action ?? action,
      resource_type: credential.kind === 'token' ? 'api_token' : 'api_key',
      resource_id: credential.id,
      revision: null,
      before: before ? publicCredential(before) : null,
      after: after ? publicCredential(after) : null,
    }),
  );
}

/**
 * The entry of `change` made by `context` at `at`, written out field by field:
 * built as `{ ...context, id, account_id, … }` instead, V8 took its slow path for each of the nine fields
 * added to the spread copy, ~15 µs an entry, a tenth of a durable PATCH's CPU (docs/performance.md).
 */
function newEntry(context: AuditContext, at: bigint, change: Omit<AuditChange, 'at'>): NewAuditEntry {
  return {
    id: timeOrderedId(at),
    account_id: change.account_id,
    at: formatTimestamp(at),
    action: change.action,
    resource_type: change.resource_type,
    resource_id: change.resource_id,
    revision: change.revision,
    actor_type: context.actor_type,
    actor_id: context.actor_id,
    actor_name: context.actor_name,
    actor_email: context.actor_email,
    actor_ip: context.actor_ip,
    interface: context.interface,
    ray_id: context.ray_id,
    method: context.method,
    uri: context.uri,
    status: context.status,
    user_agent: context.user_agent,
    before: change.before,
    after: change.after,
  };
}

/**
 * A UUID version 7 (RFC 9562): the entry's millisecond first, then 74 random bits. Ids made in time order
 * sort in that order, so the unique index on them grows at its end instead of dirtying a random page per
 * entry: with version 4 ids that page was a third of the bytes a durable PATCH wrote (docs/performance.md).
 */
function timeOrderedId(at: bigint): string {
  const time = (at / NANOS_PER_MS).toString(16).padStart(12, '0');
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx: keep its last 74 random bits
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}

function snapshot(group: DeploymentGroup): Record<string, unknown> {
  return { ...group };
}

/** Never the secret, not even its hash. */
function publicCredential({ secret_hash: _, ...rest }: Credential): Record<string, unknown> {
  return rest;
}
