// What a revision of a ring says to people (docs/contract.md §8.3): who made it, through what, and what
// changed, field by field — versions by environment, policies added and removed, the name before → after.
// Pure: no DOM, so test/dashboard-history-text.test.ts checks it without a browser.
import type { FieldChange, HistoryEntry } from './api.ts';
import { environmentLabel } from './format.ts';
import type { VersionConfig } from './wire.ts';

export type DiffKind = 'added' | 'removed' | 'changed';

/** One line of a revision's diff, e.g. `{field: 'versions', kind: 'changed', text: 'Windows: 1 → 2'}`. */
export interface DiffLine {
  field: string;
  kind: DiffKind;
  text: string;
}

type Actor = HistoryEntry['actor'];

const INTERFACES: Record<Actor['interface'], string> = {
  API: 'the API',
  dashboard: 'the dashboard',
  CLI: 'the command line',
  rollout: 'a rollout',
};

const ACTIONS: Record<HistoryEntry['action'], string> = {
  create: 'Created',
  update: 'Updated',
  delete: 'Deleted',
  revert: 'Restored an earlier version',
  revoke: 'Revoked',
};

/** "operator", "ops@example.com", "operator (ops@example.com)"; Ringmaster itself for a rollout. */
export function actorName(actor: Pick<Actor, 'type' | 'name' | 'email'>): string {
  if (actor.name && actor.email) return `${actor.name} (${actor.email})`;
  if (actor.name || actor.email) return (actor.name ?? actor.email) as string;
  return actor.type === 'system' ? 'Ringmaster' : 'an unnamed credential';
}

/** "through the dashboard". */
export function interfaceLabel(value: Actor['interface']): string {
  return INTERFACES[value] ?? value;
}

export function actionLabel(action: HistoryEntry['action']): string {
  return ACTIONS[action] ?? action;
}

/** The lines of one revision: every field it changed, in the API's order. */
export function diffLines(changes: FieldChange[]): DiffLine[] {
  return changes.flatMap((change) => {
    switch (change.field) {
      case 'name':
        return nameLines(change.before, change.after);
      case 'version_config':
        return versionLines(asVersions(change.before), asVersions(change.after));
      case 'policy_ids':
        return policyLines(asStrings(change.before), asStrings(change.after));
      case 'id':
      case 'created_at':
      case 'updated_at':
        // Set once by the server: they only "change" when the ring is created or deleted.
        return [];
      default:
        return [
          {
            field: change.field,
            kind: 'changed',
            text: `${change.field}: ${show(change.before)} → ${show(change.after)}`,
          },
        ];
    }
  });
}

function nameLines(before: unknown, after: unknown): DiffLine[] {
  if (before === null || before === undefined)
    return [{ field: 'name', kind: 'added', text: `Name: ${quote(after)}` }];
  if (after === null || after === undefined)
    return [{ field: 'name', kind: 'removed', text: `Name: ${quote(before)}` }];
  return [{ field: 'name', kind: 'changed', text: `Name: ${quote(before)} → ${quote(after)}` }];
}

/** Entries matched by environment: added, removed, or a new version for the same environment. */
export function versionLines(before: VersionConfig[], after: VersionConfig[]): DiffLine[] {
  const old = new Map(before.map((v) => [v.target_environment, v.version]));
  const now = new Map(after.map((v) => [v.target_environment, v.version]));
  const lines: DiffLine[] = [];
  for (const [environment, version] of now) {
    const label = environmentLabel(environment);
    const was = old.get(environment);
    if (was === undefined) lines.push({ field: 'versions', kind: 'added', text: `${label}: ${version}` });
    else if (was !== version)
      lines.push({ field: 'versions', kind: 'changed', text: `${label}: ${was} → ${version}` });
  }
  for (const [environment, version] of old) {
    if (!now.has(environment))
      lines.push({
        field: 'versions',
        kind: 'removed',
        text: `${environmentLabel(environment)}: ${version}`,
      });
  }
  return lines;
}

/** "Policies added: a, b" and "Policy removed: c". */
export function policyLines(before: string[], after: string[]): DiffLine[] {
  const old = new Set(before);
  const now = new Set(after);
  const added = after.filter((id) => !old.has(id));
  const removed = before.filter((id) => !now.has(id));
  const lines: DiffLine[] = [];
  if (added.length) lines.push({ field: 'policies', kind: 'added', text: policyText(added, 'added') });
  if (removed.length)
    lines.push({ field: 'policies', kind: 'removed', text: policyText(removed, 'removed') });
  return lines;
}

function policyText(ids: string[], verb: string): string {
  return `${ids.length === 1 ? 'Policy' : 'Policies'} ${verb}: ${ids.join(', ')}`;
}

function asVersions(value: unknown): VersionConfig[] {
  return Array.isArray(value) ? (value as VersionConfig[]) : [];
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function quote(value: unknown): string {
  return `“${String(value)}”`;
}

function show(value: unknown): string {
  return value === null || value === undefined ? 'none' : JSON.stringify(value);
}

/** The revision a deleted ring comes back as: the newest one before its (latest) deletion; else null. */
export function revisionBeforeDeletion(newestFirst: HistoryEntry[]): HistoryEntry | null {
  const [newest, ...older] = newestFirst;
  if (newest?.action !== 'delete') return null;
  return older.find((entry) => entry.deployment_group !== null) ?? null;
}
