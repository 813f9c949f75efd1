// What the ring dialog holds, and the request body made from it: no DOM here, so that the rules (an update
// sends only what changed, blank rows are not sent, policy IDs one per line) have unit tests without a
// browser (test/dashboard-errors.test.ts).
import type { Group, GroupCreate, GroupUpdate, VersionConfig } from './wire.ts';

/** What the user typed, kept when they leave the dialog to look at a conflicting group. */
export interface FormValues {
  name: string;
  versions: { environment: string; version: string }[];
  policies: string;
}

/** One policy ID as sent, with the line of the text box it came from (1-based). */
export interface SentPolicy {
  id: string;
  line: number;
}

/** A request body, and where each of its array entries came from, to place the API's errors. */
export interface Sent<T = GroupCreate | GroupUpdate> {
  input: T;
  /** For each `version_config` entry sent, the index of its row on screen (blank rows are not sent). */
  rows: number[];
  policies: SentPolicy[];
}

export function blankValues(): FormValues {
  return { name: '', versions: [{ environment: '', version: '' }], policies: '' };
}

export function valuesOf(group: Group): FormValues {
  return {
    name: group.name,
    versions: group.version_config.map((entry) => ({
      environment: entry.target_environment ?? '',
      version: entry.version,
    })),
    policies: (group.policy_ids ?? []).join('\n'),
  };
}

/** Policy IDs as typed: one per line (commas and spaces separate too), blank lines ignored. */
export function parsePolicies(text: string): SentPolicy[] {
  const policies: SentPolicy[] = [];
  text.split('\n').forEach((line, i) => {
    for (const id of line.split(/[\s,]+/)) if (id) policies.push({ id, line: i + 1 });
  });
  return policies;
}

/** The body that creates a ring with these values. */
export function createBody(values: FormValues): Sent<GroupCreate> {
  const { versionConfig, rows } = versionEntries(values);
  const policies = parsePolicies(values.policies);
  const input: GroupCreate = { name: values.name, version_config: versionConfig };
  if (policies.length) input.policy_ids = policies.map((p) => p.id);
  return { input, rows, policies };
}

/** The body that makes `group` have these values: only the fields that differ, so `{}` when none does. */
export function updateBody(values: FormValues, group: Group): Sent<GroupUpdate> {
  const { versionConfig, rows } = versionEntries(values);
  const policies = parsePolicies(values.policies);
  const policyIds = policies.map((p) => p.id);
  // Fields left alone keep their stored value, and an unchanged group keeps its updated_at.
  const input: GroupUpdate = {};
  if (values.name !== group.name) input.name = values.name;
  if (JSON.stringify(versionConfig) !== JSON.stringify(group.version_config))
    input.version_config = versionConfig;
  if (JSON.stringify(policyIds) !== JSON.stringify(group.policy_ids ?? [])) {
    input.policy_ids = policyIds.length ? policyIds : null;
  }
  return { input, rows, policies };
}

/** The version rows as `version_config` entries: trimmed, an empty environment is `null`, blank rows left out. */
function versionEntries(values: FormValues): { versionConfig: VersionConfig[]; rows: number[] } {
  const rows: number[] = [];
  const versionConfig: VersionConfig[] = [];
  values.versions.forEach((row, i) => {
    const environment = row.environment.trim();
    const version = row.version.trim();
    if (environment === '' && version === '') return;
    rows.push(i);
    versionConfig.push({ target_environment: environment === '' ? null : environment, version });
  });
  return { versionConfig, rows };
}

/**
 * Whether closing would lose something: the values would send a different body than `baseline` does.
 * An added blank row or a trailing newline is no edit.
 */
export function isEdited(values: FormValues, baseline: FormValues): boolean {
  return JSON.stringify(createBody(values).input) !== JSON.stringify(createBody(baseline).input);
}
