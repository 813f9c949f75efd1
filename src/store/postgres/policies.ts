// Policy ownership on PostgreSQL: the (account_id, policy_id) primary key of policy_owners decides,
// claimed with INSERT … ON CONFLICT DO NOTHING RETURNING inside the caller's transaction, so that it
// holds across every replica (docs/contract.md §5).
import type { PoolClient, QueryConfig, QueryResult } from 'pg';
import type { GroupRecord } from '../backup.ts';
import { type PolicyConflict, PolicyConflictError } from '../store.ts';
import { maintenance } from './migrate.ts';
import { pipeline } from './pipeline.ts';
import { IMPORT_CLAIMS, IMPORT_OWNERS, SQL } from './statements.ts';

/** Rounds of claiming before giving up on IDs whose owners keep letting go and taking them back. */
const ATTEMPTS = 3;

/**
 * Claims `policyIds` for the group inside the caller's transaction, sending `before` (statements the
 * claim depends on, such as BEGIN) in the same round trip. Throws PolicyConflictError listing every
 * ID another group owns, in the order given; the caller's transaction is then rolled back.
 */
export async function claimPolicies(
  client: PoolClient,
  accountId: string,
  groupId: string,
  policyIds: string[],
  before: (string | QueryConfig)[] = [],
): Promise<void> {
  let pending = policyIds;
  const conflicts: PolicyConflict[] = [];
  for (let round = 0; pending.length > 0; round++) {
    // Sorted, so two transactions claiming overlapping IDs take their locks in the same order.
    const claim = { ...SQL.claim, values: [accountId, groupId, [...pending].sort()] };
    const results = await pipeline(client, round === 0 ? [...before, claim] : [claim]);
    const rows = (results.at(-1) as QueryResult<{ policy_id: string }>).rows;
    if (rows.length === pending.length) break;
    const claimed = new Set(rows.map((row) => row.policy_id));
    const refused = pending.filter((policyId) => !claimed.has(policyId));
    const owners = await client.query<{ policy_id: string; group_id: string }>({
      ...SQL.owners,
      values: [accountId, refused],
    });
    const ownerOf = new Map(owners.rows.map((row) => [row.policy_id, row.group_id]));
    for (const policyId of refused) {
      const owner = ownerOf.get(policyId);
      if (owner !== undefined && owner !== groupId) conflicts.push({ policyId, groupId: owner });
    }
    // An owner that let go between our insert and our read: claim those again.
    pending = refused.filter((policyId) => !ownerOf.has(policyId));
    if (round === ATTEMPTS && pending.length > 0)
      throw new Error('policy ownership kept changing; try again');
  }
  if (conflicts.length > 0) {
    const order = new Map(policyIds.map((policyId, i) => [policyId, i]));
    conflicts.sort((a, b) => (order.get(a.policyId) ?? 0) - (order.get(b.policyId) ?? 0));
    throw new PolicyConflictError(conflicts);
  }
}

interface Claim {
  account_id: string;
  policy_id: string;
  group_id: string;
}

/**
 * Claims the policy IDs of a batch of imported groups in one statement. The import holds the tables
 * locked, so a refusal can only come from the backup itself (two groups claiming one ID).
 */
export async function claimImported(client: PoolClient, batch: GroupRecord[]): Promise<void> {
  const claims: Claim[] = batch.flatMap((group) =>
    (group.policy_ids ?? []).map((policy_id) => ({
      account_id: group.account_id,
      policy_id,
      group_id: group.id,
    })),
  );
  if (claims.length === 0) return;
  const column = (key: keyof Claim) => claims.map((claim) => claim[key]);
  const { rows } = await client.query<Claim>(
    maintenance(IMPORT_CLAIMS, [column('account_id'), column('policy_id'), column('group_id')]),
  );
  if (rows.length === claims.length) return;
  const key = (c: Claim) => `${c.account_id}\n${c.policy_id}`;
  const claimed = new Set(rows.map((row) => `${key(row)}\n${row.group_id}`));
  const refused = claims.filter((c) => !claimed.has(`${key(c)}\n${c.group_id}`));
  const owners = await client.query<Claim>(IMPORT_OWNERS, [
    refused.map((c) => c.account_id),
    refused.map((c) => c.policy_id),
  ]);
  const ownerOf = new Map(owners.rows.map((row) => [key(row), row.group_id]));
  throw new PolicyConflictError(
    refused.map((c) => ({ policyId: c.policy_id, groupId: ownerOf.get(key(c)) ?? c.group_id })),
  );
}
