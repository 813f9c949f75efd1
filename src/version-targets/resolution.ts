// The rule of docs/contract.md §8.4, on what one account holds: the group holding the policy; its entry
// for the environment, else its entry with target_environment null (every environment without its own);
// else none. An AccountTargets is built once per load of the account and then only read.
import { createHash } from 'node:crypto';
import type { VersionConfigEntry } from '../deployment-groups/model.ts';
import { MESSAGES } from '../errors.ts';
import { groupFingerprint } from '../store/changes.ts';
import type { StoredGroup } from '../store/store.ts';
import type { VersionTarget } from './model.ts';
import { PolicyIndex } from './policy-index.ts';

/** What a held policy resolves through: its group's id, name and entries, and its policies' ordinals. */
export interface TargetGroup {
  id: string;
  name: string;
  version_config: VersionConfigEntry[];
  /** Its policies are ordinals first … first + count - 1 of the index, in the group's order. */
  first: number;
  count: number;
}

/** An answer, or why there is none (a `messages` entry of the envelope). */
export type Resolution =
  | { target: VersionTarget; message?: undefined }
  | { target: null; message: { code: number; message: string } };

export class AccountTargets {
  /** Groups holding at least one policy, in list order (created_at, id). */
  readonly groups: TargetGroup[] = [];
  /** Each held policy → its group's index in `groups` (policy-index.ts). */
  private readonly owners: PolicyIndex;
  /** groupFingerprint() of what this was built from (store/changes.ts). */
  readonly fingerprint: string;
  /** The strong ETag of the account's document: a hash of every group as loaded, in order. */
  readonly etag: string;

  constructor(stored: StoredGroup[]) {
    const hash = createHash('sha256');
    let revisions = 0;
    let latest: string | null = null;
    const lists: string[][] = [];
    let ordinals = 0;
    for (const { group, revision } of stored) {
      revisions += revision;
      if (latest === null || group.updated_at > latest) latest = group.updated_at;
      // What the document shows (and the revision): an import may restore a revision with other contents.
      const policies = group.policy_ids ?? [];
      hash.update(`${group.id}\u0000${revision}\u0000${group.updated_at}\u0000${group.name}\u0000`);
      hash.update(JSON.stringify(group.version_config));
      hash.update(`\u0000${policies.join('\u0000')}\n`);
      if (policies.length === 0) continue;
      const { id, name, version_config } = group;
      this.groups.push({ id, name, version_config, first: ordinals, count: policies.length });
      lists.push(policies);
      ordinals += policies.length;
    }
    this.owners = new PolicyIndex(lists);
    this.fingerprint = groupFingerprint(stored.length, revisions, latest);
    this.etag = `"t-${hash.digest('base64url').slice(0, 27)}"`;
  }

  /** Policies held in the account. */
  get size(): number {
    return this.owners.size;
  }

  /** The ID of policy `ordinal` (see TargetGroup). */
  policyId(ordinal: number): string {
    return this.owners.id(ordinal);
  }

  resolve(policyId: string, environment: string): Resolution {
    const index = this.owners.groupOf(policyId);
    if (index === undefined) return unresolved('noGroupHoldsPolicy', `policy ${policyId}`);
    const group = this.groups[index] as TargetGroup;
    const entry = entryFor(group.version_config, environment);
    if (entry === undefined) {
      return unresolved('noEntryForEnvironment', `${environment}, deployment group ${group.id}`);
    }
    return {
      target: {
        policy_id: policyId,
        target_environment: environment,
        version: entry.version,
        deployment_group: { id: group.id, name: group.name },
      },
    };
  }
}

/** The entry for `environment`, else the one for every environment (null), else none. */
export function entryFor(
  entries: readonly VersionConfigEntry[],
  environment: string,
): VersionConfigEntry | undefined {
  let fallback: VersionConfigEntry | undefined;
  for (const entry of entries) {
    if (entry.target_environment === environment) return entry;
    if (entry.target_environment === null) fallback = entry;
  }
  return fallback;
}

function unresolved(key: keyof typeof MESSAGES, about: string): Resolution {
  const { code, message } = MESSAGES[key];
  return { target: null, message: { code, message: `${message} (${about})` } };
}
