// Where each of the API's errors is shown in the ring dialog: a pure function from the failure (each error's
// `source.pointer` into the body we sent, docs/contract.md §3–§4) to the field that shows it, so the rules
// have unit tests without a browser (test/dashboard-errors.test.ts). The ring holding a conflicting policy
// comes from the error's `meta.deployment_group_id` (docs/contract.md §5), never from its English message.
import { describeFailure, type Failure } from './api.ts';
import type { Sent, SentPolicy } from './form-values.ts';
import { plural } from './format.ts';

export interface RowErrors {
  environment: string[];
  version: string[];
}

/** A policy another ring holds: the line it was typed on, and that ring (null if the server did not say). */
export interface Conflict {
  policy: SentPolicy | undefined;
  groupId: string | null;
  message: string;
}

export interface Placement {
  name: string[];
  /** About the version list as a whole (e.g. "must have at least 1 entry"). */
  versions: string[];
  /** On-screen row index → the messages beside its two inputs. */
  rows: Map<number, RowErrors>;
  /** Beside the policy box, one line each. */
  policies: string[];
  conflicts: Conflict[];
  /** The banner at the top of the form: what happened, and errors no field shows. */
  summary: string[];
}

type Where = Pick<Sent, 'rows' | 'policies'>;

export function placeErrors(failure: Failure, sent: Where): Placement {
  const placement: Placement = {
    name: [],
    versions: [],
    rows: new Map(),
    policies: [],
    conflicts: [],
    summary: [],
  };
  const general: string[] = [];
  for (const error of failure.errors) {
    const [field, index, key] = (error.source?.pointer ?? '').split('/').slice(1);
    const at = index === undefined || index === '' ? undefined : Number(index);
    if (field === 'name') placement.name.push(error.message);
    else if (field === 'version_config') placeVersionError(placement, error.message, at, key, sent);
    else if (field === 'policy_ids' && failure.status === 409) {
      const policy = at === undefined ? undefined : sent.policies[at];
      placement.conflicts.push({
        policy,
        groupId: error.meta?.deployment_group_id ?? null,
        message: error.message,
      });
    } else if (field === 'policy_ids')
      placement.policies.push(policyMessage(error.message, at, sent.policies));
    else general.push(describeFailure({ ...failure, errors: [error] }));
  }
  placement.summary = summary(failure, placement.conflicts, general);
  return placement;
}

function placeVersionError(
  placement: Placement,
  message: string,
  at: number | undefined,
  key: string | undefined,
  sent: Where,
): void {
  const row = at === undefined ? undefined : sent.rows[at];
  if (row === undefined) {
    placement.versions.push(message);
    return;
  }
  const slot = placement.rows.get(row) ?? { environment: [], version: [] };
  placement.rows.set(row, slot);
  // The API counts the entries it got from 0; the rows on screen count from 1 and include blank ones.
  const text = message.replace(
    /in entry (\d+)/,
    (_, i: string) => `in version ${(sent.rows[Number(i)] ?? row) + 1}`,
  );
  (key === 'target_environment' ? slot.environment : slot.version).push(text);
}

/** "policy_ids[3] repeats policy_ids[2]" → "Line 4 (abc): repeats line 3": the box has lines, not indexes. */
function policyMessage(message: string, at: number | undefined, policies: SentPolicy[]): string {
  const policy = at === undefined ? undefined : policies[at];
  if (!policy) return message;
  const text = message
    .replace(/^policy_ids\[\d+\] /, '')
    .replace(/policy_ids\[(\d+)\]/g, (whole, i: string) => {
      const other = policies[Number(i)];
      return other ? `line ${other.line}` : whole;
    });
  return `Line ${policy.line} (${policy.id}): ${text}`;
}

function summary(failure: Failure, conflicts: Conflict[], general: string[]): string[] {
  const lines: string[] = [];
  if (conflicts.length) lines.push(conflictSummary(conflicts));
  else if (failure.status === 400 && general.length === 0) {
    lines.push(`Not saved: ${plural(failure.errors.length, 'problem', 'problems')} to fix, marked below.`);
  }
  lines.push(...general);
  if (!lines.length) lines.push(describeFailure(failure));
  return lines;
}

/** The banner over conflicts, in the grammar of how many policies and how many rings hold them. */
export function conflictSummary(conflicts: Conflict[]): string {
  const holders = new Set(conflicts.map((c) => c.groupId ?? 'unknown')).size;
  const rings = holders > 1 ? 'other rings' : 'another ring';
  const holding = holders > 1 ? 'the rings that hold' : 'the ring that holds';
  if (conflicts.length === 1) {
    return `Not saved: a policy already belongs to ${rings}. Remove it from this ring, or from ${holding} it.`;
  }
  const count = plural(conflicts.length, 'policy', 'policies');
  return `Not saved: ${count} already belong to ${rings}. Remove them from this ring, or from ${holding} them.`;
}
