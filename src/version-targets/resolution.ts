// The rule of docs/contract.md §8.4, on what one account holds: the group holding the policy; its entry
// for the environment, else its entry with target_environment null (every environment without its own);
// else none. An AccountTargets is built by a full load (every group into one packed PolicyIndex) and then
// changed in place of nothing: a refresh makes a new one with updated(), which shares the packed index
// and lays the changed groups over it (cache.ts says when each happens).
import { createHash } from 'node:crypto';
import type { VersionConfigEntry } from '../deployment-groups/model.ts';
import { MESSAGES } from '../errors.ts';
import { groupFingerprint } from '../store/changes.ts';
import type { GroupVersion, StoredGroup } from '../store/store.ts';
import type { VersionTarget } from './model.ts';
import { PolicyIndex } from './policy-index.ts';

/** What a held policy resolves through: its group's id, name and entries, and where its policies are. */
export interface TargetGroup {
  id: string;
  name: string;
  version_config: VersionConfigEntry[];
  revision: number;
  updated_at: string;
  /** A hash of everything the document shows of the group (the account's ETag is made of these). */
  digest: string;
  /** Loaded by a full load: its policies are ordinals first … first + count - 1 of the packed index. */
  first: number;
  count: number;
  /** Loaded by a refresh: its policies, laid over the packed index. */
  policies?: readonly string[];
}

/** An answer, or why there is none (a `messages` entry of the envelope). */
export type Resolution =
  | { target: VersionTarget; message?: undefined }
  | { target: null; message: { code: number; message: string } };

/** The packed index of a full load and the groups it was built with (shared by later refreshes). */
interface Base {
  index: PolicyIndex;
  groups: readonly TargetGroup[];
}

export class AccountTargets {
  /** Every group of the account, in list order (created_at, id). */
  readonly groups: readonly TargetGroup[];
  /** groupFingerprint() of what this holds (store/changes.ts). */
  readonly fingerprint: string;
  /** The strong ETag of the account's document: a hash of every group's digest, in order. */
  readonly etag: string;
  /** Policies held in the account. */
  readonly size: number;
  /** Policies held by groups laid over the packed index (a full load packs them again). */
  readonly overlaid: number;
  private readonly byId: Map<string, TargetGroup>;

  private constructor(
    groups: TargetGroup[],
    private readonly base: Base,
    /** Policy → its group, for the groups loaded by refreshes (shared and changed by later ones). */
    private readonly overlay: Map<string, TargetGroup>,
  ) {
    this.groups = groups;
    this.byId = new Map(groups.map((group) => [group.id, group]));
    const hash = createHash('sha256');
    let revisions = 0;
    let latest: string | null = null;
    let size = 0;
    for (const group of groups) {
      revisions += group.revision;
      if (latest === null || group.updated_at > latest) latest = group.updated_at;
      hash.update(group.digest);
      size += group.count;
    }
    this.size = size;
    this.overlaid = overlay.size;
    this.fingerprint = groupFingerprint(groups.length, revisions, latest);
    this.etag = `"t-${hash.digest('base64url').slice(0, 27)}"`;
  }

  /** Every group of the account, packed. */
  static load(stored: StoredGroup[]): AccountTargets {
    const lists: string[][] = [];
    let ordinals = 0;
    const groups = stored.map((row) => {
      const policies = row.group.policy_ids ?? [];
      lists.push(policies);
      const group = targetGroup(row, ordinals, policies.length);
      ordinals += policies.length;
      return group;
    });
    return new AccountTargets(groups, { index: new PolicyIndex(lists), groups }, new Map());
  }

  /**
   * What changed since this: the account's groups are now `versions`; `changed` are the groups whose
   * version this does not hold (a group neither held nor in `changed` is left out). This one must not be
   * used afterwards (they share the overlay).
   */
  updated(versions: readonly GroupVersion[], changed: readonly StoredGroup[]): AccountTargets {
    const fresh = new Map(changed.map((row) => [row.group.id, row]));
    const groups: TargetGroup[] = [];
    for (const { id } of versions) {
      const row = fresh.get(id);
      const group = row ? targetGroup(row, 0, row.group.policy_ids?.length ?? 0, true) : this.byId.get(id);
      if (group) groups.push(group);
    }
    const next = new Set(groups);
    for (const old of this.groups) {
      if (old.policies === undefined || next.has(old)) continue;
      for (const policy of old.policies) if (this.overlay.get(policy) === old) this.overlay.delete(policy);
    }
    for (const group of groups) {
      if (this.byId.get(group.id) === group) continue;
      for (const policy of group.policies ?? []) this.overlay.set(policy, group);
    }
    return new AccountTargets(groups, this.base, this.overlay);
  }

  /** The version this holds of each group. */
  version(groupId: string): TargetGroup | undefined {
    return this.byId.get(groupId);
  }

  /** The group's policy IDs, in its order. */
  *policies(group: TargetGroup): Generator<string> {
    if (group.policies) {
      yield* group.policies;
      return;
    }
    for (let ordinal = group.first; ordinal < group.first + group.count; ordinal++) {
      yield this.base.index.id(ordinal);
    }
  }

  resolve(policyId: string, environment: string): Resolution {
    const group = this.owner(policyId);
    if (group === undefined) return unresolved('noGroupHoldsPolicy', `policy ${policyId}`);
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

  /** A group loaded by a refresh, else the packed index's group if it is still the one held. */
  private owner(policyId: string): TargetGroup | undefined {
    const laid = this.overlay.get(policyId);
    if (laid !== undefined) return laid;
    const index = this.base.index.groupOf(policyId);
    if (index === undefined) return undefined;
    const packed = this.base.groups[index] as TargetGroup;
    return this.byId.get(packed.id) === packed ? packed : undefined;
  }
}

function targetGroup(
  { group, revision }: StoredGroup,
  first: number,
  count: number,
  laid = false,
): TargetGroup {
  const policies = group.policy_ids ?? [];
  const { id, name, version_config, updated_at } = group;
  // What the document shows (and the revision): an import may restore a revision with other contents.
  const hash = createHash('sha256');
  hash.update(`${id}\u0000${revision}\u0000${updated_at}\u0000${name}\u0000`);
  hash.update(JSON.stringify(version_config));
  hash.update(`\u0000${policies.join('\u0000')}\n`);
  const digest = hash.digest('base64url');
  const base = { id, name, version_config, revision, updated_at, digest, first, count };
  return laid ? { ...base, policies } : base;
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
