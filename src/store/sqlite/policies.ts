// Policy ownership on SQLite: the (account_id, policy_id) primary key of policy_owners decides, one
// INSERT … ON CONFLICT DO NOTHING per ID inside the caller's transaction (docs/contract.md §5).
import { type PolicyConflict, PolicyConflictError } from '../store.ts';
import type { Statements } from './statements.ts';

/** Claims each policy ID for the group; throws PolicyConflictError listing every one already owned. */
export function claimPolicies(s: Statements, accountId: string, groupId: string, policyIds: string[]): void {
  const conflicts: PolicyConflict[] = [];
  for (const policyId of policyIds) {
    if (s.claimPolicy.run(accountId, policyId, groupId).changes === 0) {
      conflicts.push({ policyId, groupId: s.policyOwner.get(accountId, policyId) as string });
    }
  }
  if (conflicts.length > 0) throw new PolicyConflictError(conflicts);
}

export function releasePolicies(s: Statements, accountId: string, policyIds: string[]): void {
  for (const policyId of policyIds) s.releasePolicy.run(accountId, policyId);
}
