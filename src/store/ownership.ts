// Policy ownership, backend-neutral (docs/contract.md §5): what an update gives up and what it claims.
import type { DeploymentGroup } from '../deployment-groups/model.ts';

export interface PolicyChanges {
  /** IDs the group holds now and no longer lists: freed by the update. */
  released: string[];
  /** IDs the group lists and does not hold yet: claimed by the update, in the client's order. */
  added: string[];
}

export function policyChanges(current: DeploymentGroup, next: DeploymentGroup): PolicyChanges {
  const held = new Set(current.policy_ids);
  const kept = new Set(next.policy_ids);
  return {
    released: [...held].filter((policyId) => !kept.has(policyId)),
    added: (next.policy_ids ?? []).filter((policyId) => !held.has(policyId)),
  };
}
