// The oracle for the change-control routes (history, revert, preview: docs/contract.md §8.3, §8.1) and the two
// audit-log routes (§8.2), written from the contract and not from the code: for what was sent, the
// acceptable answers and the rule that decided them. The shared parts (§4 bodies, the list's query) are in
// oracle.ts.
import { isIP } from 'node:net';
import { bodyViolation, isObject, type Outcome, queryVerdict, type Verdict } from './oracle.ts';

const ok: Outcome = { status: 200 };
const invalid: Outcome = { status: 400, code: 2001 };
const notFound: Outcome = { status: 404, code: 2002 };
const conflict: Outcome = { status: 409, code: 2004 };
const failedPrecondition: Outcome = { status: 412, code: 2007 };
const verdict = (rule: string, ...allowed: Outcome[]): Verdict => ({ allowed, rule });

/** What the group named in the path is, as the generator chose it. */
export type GroupState =
  /** Made at start-up, never deleted (its revision 1 exists; later ones may). */
  | 'stable'
  /** Created then deleted by a valid request (revision 1 the create, 2 the delete); a revert may restore it. */
  | 'deleted'
  /** Not in this account: a random UUID, another account's group, or no UUID at all. */
  | 'absent';

// ---------------------------------------------------------------------------------------------------
// §8.1 If-Match

/** How an If-Match header as sent reads: absent, `*`, a list of tags (weak ones never match), or malformed. */
export type IfMatch = 'absent' | 'any' | 'tags' | 'malformed' | 'empty-elements';

const ETAGC = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

/** RFC 9110 If-Match: `*` or a comma-separated list of entity tags. */
export function readIfMatch(value: string | undefined): IfMatch {
  if (value === undefined) return 'absent';
  const trimmed = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (trimmed === '*') return 'any';
  const elements = trimmed.split(',').map((element) => element.trim());
  const present = elements.filter((element) => element !== '');
  if (present.length === 0 || !present.every((element) => ETAGC.test(element))) return 'malformed';
  // RFC 9110 §5.6.1 lets a recipient ignore empty list elements; §8.1 calls a malformed list 400.
  return present.length === elements.length ? 'tags' : 'empty-elements';
}

/**
 * §8.1: a malformed list → 400 2001 (checked before anything else about the group); a list of tags the
 * fuzzer made up never matches (412) on a group that exists; `*` matches any existing group.
 */
function withIfMatch(ifMatch: IfMatch, exists: boolean, served: Verdict): Verdict {
  if (ifMatch === 'malformed') return verdict('If-Match: malformed list (§8.1)', invalid);
  if (ifMatch === 'absent' || ifMatch === 'any' || !exists) return served;
  const stale = verdict('If-Match: no tag matches (§8.1)', failedPrecondition);
  return ifMatch === 'empty-elements'
    ? { rule: 'If-Match with empty list elements', allowed: [invalid, failedPrecondition] }
    : stale;
}

// ---------------------------------------------------------------------------------------------------
// §8.3 history

/** GET …/{group}/history?query: the list's paging rules, then 404 only for a group that never existed. */
export function historyVerdict(state: GroupState, params: [string, string][]): Verdict {
  const query = queryVerdict(params);
  if (query.allowed.some((outcome) => outcome.status === 400)) return query;
  return state === 'absent'
    ? verdict('history: a group that never existed in the account (§8.3)', notFound)
    : verdict('history: a group that exists or existed (§8.3)', ok);
}

// ---------------------------------------------------------------------------------------------------
// §8.3 revert

/** The revert body's problem, if any: `{"revision": n}`, n an integer 1 to 2^31 − 1, nothing else. */
export function revertBodyViolation(body: unknown): string | undefined {
  if (!isObject(body)) return 'revert: an object';
  if (Object.keys(body).some((key) => key !== 'revision')) return 'revert: no unknown fields';
  const revision = body.revision;
  if (typeof revision !== 'number' || !Number.isInteger(revision)) return 'revert: an integer revision';
  return revision < 1 || revision > 2 ** 31 - 1 ? 'revert: revision 1 to 2^31 − 1' : undefined;
}

/** POST …/{group}/revert: body, then If-Match's form, then the group and its history. */
export function revertVerdict(state: GroupState, body: unknown, ifMatch: IfMatch): Verdict {
  const problem = revertBodyViolation(body);
  if (problem) return verdict(problem, invalid);
  const revision = (body as { revision: number }).revision;
  if (state === 'absent') return absent(ifMatch, 'revert: a group that never existed (§8.3)');
  if (state === 'deleted') {
    // Deleted: If-Match cannot hold (412); a concurrent revert may have restored it meanwhile.
    if (ifMatch === 'malformed') return verdict('If-Match: malformed list (§8.1)', invalid);
    if (revision === 2) {
      const rule = 'revert: the revision of its deletion (§8.3)';
      return ifMatch === 'absent' || ifMatch === 'any'
        ? verdict(rule, invalid)
        : verdict(rule, invalid, failedPrecondition);
    }
    const restored = revision === 1 ? [ok, conflict] : [ok, invalid, conflict];
    if (ifMatch === 'absent') return { rule: 'revert of a deleted group (§8.3)', allowed: restored };
    return {
      rule: 'If-Match on a deleted (or since restored) group (§8.3)',
      allowed: ifMatch === 'any' ? [failedPrecondition, ...restored] : [failedPrecondition, invalid],
    };
  }
  if (revision === 1) {
    const served = verdict(
      'revert to revision 1: it exists (§8.3; 409 if a policy is held elsewhere)',
      ok,
      conflict,
    );
    return withIfMatch(ifMatch, true, served);
  }
  if (ifMatch === 'malformed') return verdict('If-Match: malformed list (§8.1)', invalid);
  // A revision it may not have: 400 whether or not If-Match holds (the contract orders neither first).
  return ifMatch === 'tags' || ifMatch === 'empty-elements'
    ? verdict('revert to a later revision with a stale If-Match (§8.1, §8.3)', failedPrecondition, invalid)
    : verdict('revert to a later revision: 400 if the group never had it (§8.3)', ok, invalid, conflict);
}

/** A group that is not there: 404, unless If-Match is malformed (400, checked first). */
function absent(ifMatch: IfMatch, rule: string): Verdict {
  if (ifMatch === 'malformed') return verdict('If-Match: malformed list (§8.1)', invalid);
  return ifMatch === 'empty-elements' ? verdict(rule, notFound, invalid) : verdict(rule, notFound);
}

// ---------------------------------------------------------------------------------------------------
// §8.3 preview

const PREVIEW_FIELDS = new Set(['method', 'group_id', 'body']);

/** POST …/preview `{method, group_id?, body?}`: what the previewed request would answer (§8.3). */
export function previewVerdict(request: unknown, state: GroupState, ifMatch: IfMatch): Verdict {
  const served = previewServed(request, state, ifMatch);
  // Empty list elements: RFC 9110 ignores them, §8.1 may call the list malformed. Either is right.
  return ifMatch === 'empty-elements' && !served.allowed.includes(invalid)
    ? { rule: served.rule, allowed: [...served.allowed, invalid] }
    : served;
}

function previewServed(request: unknown, state: GroupState, ifMatch: IfMatch): Verdict {
  if (!isObject(request)) return verdict('preview: an object', invalid);
  if (Object.keys(request).some((key) => !PREVIEW_FIELDS.has(key)))
    return verdict('preview: no unknown fields', invalid);
  const { method, group_id: groupId, body } = request;
  if (method !== 'POST' && method !== 'PATCH' && method !== 'DELETE')
    return verdict('preview: method POST, PATCH or DELETE', invalid);
  if (groupId !== undefined && typeof groupId !== 'string')
    return verdict('preview: group_id a string', invalid);
  if (ifMatch === 'malformed') return verdict('If-Match: malformed list (§8.1)', invalid);
  if (method === 'POST') {
    if (body === undefined) return verdict('preview: a POST needs a body', invalid);
    const problem = bodyViolation('create', body);
    if (problem) return verdict(`preview POST ${problem}`, invalid);
    // If-Match is a condition on an existing group; a create has none (§8.1 names update and delete).
    return withPolicies(body, verdict('preview of a valid create (§8.3)', ok));
  }
  if (groupId === undefined) return verdict('preview: PATCH and DELETE need group_id', invalid);
  if (method === 'PATCH') {
    if (body === undefined) return verdict('preview: a PATCH needs a body', invalid);
    const problem = bodyViolation('update', body);
    if (problem) return verdict(`preview PATCH ${problem}`, invalid);
  }
  if (state !== 'stable') return absent(ifMatch, 'preview: the group is not there (§8.3, §5)');
  const served = verdict(`preview of a valid ${method} (§8.3)`, ok);
  return withIfMatch(ifMatch, true, method === 'PATCH' ? withPolicies(body, served) : served);
}

/** Policy IDs may be held by another group: 409 is then the right answer (§5). */
function withPolicies(body: unknown, served: Verdict): Verdict {
  const policyIds = (body as { policy_ids?: unknown }).policy_ids;
  return Array.isArray(policyIds) && policyIds.length > 0
    ? { rule: `${served.rule}, with policy IDs`, allowed: [...served.allowed, conflict] }
    : served;
}

// ---------------------------------------------------------------------------------------------------
// §8.2 audit-log parameters

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 full-date or date-time naming a real instant, as milliseconds (and the fraction beyond them
 * as a string, for ordering); undefined if it is not one. Leap seconds are not generated.
 */
export function instant(text: string): [number, string] | undefined {
  const parts = FULL_DATE.exec(text) ?? DATE_TIME.exec(text);
  if (!parts) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = parts.slice(1, 7).map((p) => Number(p ?? 0));
  const date = new Date(0);
  date.setUTCFullYear(year as number, (month as number) - 1, day);
  date.setUTCHours(hour, minute, second);
  const real =
    (year as number) >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === (month as number) - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  const zone = parts[8];
  let offset = 0;
  if (zone && /^[+-]/.test(zone)) {
    const [h, m] = zone.slice(1).split(':').map(Number) as [number, number];
    if (h > 23 || m > 59) return undefined;
    offset = (h * 60 + m) * (zone.startsWith('-') ? -1 : 1);
  }
  if (!real) return undefined;
  return [date.getTime() - offset * 60_000, (parts[7] ?? '.').slice(1).padEnd(9, '0')];
}

const before = (a: [number, string], b: [number, string]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** A query as sent, by name: every value given (a name given twice has two). */
type Params = Map<string, string[]>;

function byName(params: [string, string][]): Params {
  const map: Params = new Map();
  for (const [name, value] of params) map.set(name, [...(map.get(name) ?? []), value]);
  return map;
}

/** A parameter that takes one value: given twice → a problem (§4). */
function single(params: Params, name: string): { value?: string; problem?: string } {
  const values = params.get(name);
  if (values === undefined) return {};
  return values.length > 1 ? { problem: `${name}: given once` } : { value: values[0] };
}

const DIGITS = /^[0-9]+$/;

function integerProblem(params: Params, name: string, min: number, max: number): string | undefined {
  const { value, problem } = single(params, name);
  if (problem || value === undefined) return problem;
  if (!DIGITS.test(value)) return `${name}: decimal digits`;
  const n = Number(value);
  return n < min || n > max ? `${name}: ${min}–${max}` : undefined;
}

function oneOfProblem(params: Params, name: string, allowed: readonly string[]): string | undefined {
  const { value, problem } = single(params, name);
  if (problem || value === undefined) return problem;
  return allowed.includes(value) ? undefined : `${name}: one of ${allowed.join(', ')}`;
}

/** since / before: each a real RFC 3339 instant, `before` later than `since`; v2 requires both. */
function windowProblem(params: Params, required: boolean): string | undefined {
  const since = single(params, 'since');
  const until = single(params, 'before');
  const problem = since.problem ?? until.problem;
  if (problem) return problem;
  if (required && (since.value === undefined || until.value === undefined))
    return 'since and before required';
  const from = since.value === undefined ? undefined : instant(since.value);
  const to = until.value === undefined ? undefined : instant(until.value);
  if (since.value !== undefined && !from) return 'since: an RFC 3339 date or date-time';
  if (until.value !== undefined && !to) return 'before: an RFC 3339 date or date-time';
  return from && to && !before(from, to) ? 'before later than since' : undefined;
}

/** An address, or an address and a prefix length within its family. */
export function ipOrRange(text: string): boolean {
  if (isIP(text) !== 0) return true;
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const family = match ? isIP(match[1] as string) : 0;
  return family !== 0 && Number(match?.[2]) <= (family === 4 ? 32 : 128);
}

/** The first problem a check finds, else undefined. */
const firstProblem = (checks: (() => string | undefined)[]) => {
  for (const check of checks) {
    const problem = check();
    if (problem) return problem;
  }
  return undefined;
};

/** Values the contract does not bound but a server may (lengths): either answer is right. */
const UNBOUNDED = 64;

/** GET /client/v4/accounts/{a}/audit_logs (version 1). */
export function auditV1Verdict(query: [string, string][]): Verdict {
  const params = byName(query);
  const bool = (name: string) => () => oneOfProblem(params, name, ['true', 'false']);
  const problem = firstProblem([
    () => windowProblem(params, false),
    () => oneOfProblem(params, 'direction', ['desc', 'asc']),
    () => integerProblem(params, 'page', 1, Number.MAX_SAFE_INTEGER),
    () => integerProblem(params, 'per_page', 1, 1000),
    bool('export'),
    bool('hide_user_logs'),
    () => {
      const { value, problem: twice } = single(params, 'actor.ip');
      return twice ?? (value === undefined || ipOrRange(value) ? undefined : 'actor.ip: an address or range');
    },
    ...['id', 'action.type', 'actor.email', 'zone.name'].map((name) => () => single(params, name).problem),
  ]);
  if (problem) return verdict(`v1 ${problem} (§8.2)`, invalid);
  const email = params.get('actor.email')?.[0];
  const long = ['id', 'action.type', 'zone.name'].some((n) => (params.get(n)?.[0]?.length ?? 0) > UNBOUNDED);
  if ((email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) || long) {
    return verdict('v1: a value the contract does not bound', ok, invalid);
  }
  return verdict('v1: a valid query (§8.2)', ok);
}

/** Version 2's enumerated filters and their values (§8.2, Cloudflare's spec). */
export const V2_ENUMS: Record<string, readonly string[]> = {
  action_result: ['success', 'failure'],
  action_type: ['create', 'delete', 'view', 'update'],
  actor_context: ['api', 'api_key', 'api_token', 'dash', 'oauth', 'origin_ca_key'],
  actor_type: ['account', 'cloudflare_admin', 'delegated_service', 'system', 'user'],
  resource_scope: ['accounts', 'user', 'zones', 'memberships'],
};

/** The 23 array filters of version 2 (§8.2); each but product_category also as `<name>.not`. */
export const V2_FILTERS = [
  'account_name',
  'action_result',
  'action_type',
  'actor_context',
  'actor_email',
  'actor_id',
  'actor_ip_address',
  'actor_token_id',
  'actor_token_name',
  'actor_type',
  'audit_log_id',
  'id',
  'raw_cf_ray_id',
  'raw_method',
  'raw_status_code',
  'raw_uri',
  'resource_id',
  'resource_product',
  'resource_type',
  'resource_scope',
  'zone_id',
  'zone_name',
  'product_category',
] as const;

const FILTER_NAMES = new Set<string>([
  ...V2_FILTERS,
  ...V2_FILTERS.filter((name) => name !== 'product_category').map((name) => `${name}.not`),
]);

/** One filter's values: at most 100, enumerated ones known, status codes 100–599 in digits. */
function filterProblem(name: string, values: string[]): string | 'unbounded' | undefined {
  if (values.length > 100) return `${name}: at most 100 values`;
  const base = name.replace(/\.not$/, '');
  const known = V2_ENUMS[base];
  if (known) return values.every((v) => known.includes(v)) ? undefined : `${name}: a known value`;
  if (base === 'product_category') {
    return values.every((v) => ['zerotrust', 'iam'].includes(v.toLowerCase()))
      ? undefined
      : 'product_category: zerotrust or iam';
  }
  if (base === 'raw_status_code') {
    const bad = values.some((v) => !DIGITS.test(v) || Number(v) < 100 || Number(v) > 599);
    return bad ? 'raw_status_code: an HTTP status' : undefined;
  }
  // The contract bounds no lengths; Cloudflare's spec bounds raw_method (an HTTP method) to 16.
  const bound = base === 'raw_method' ? 16 : UNBOUNDED;
  const odd = values.some(
    (v) => v.length > bound || (base === 'actor_email' && !/^[^\s@]+@[^\s@]+$/.test(v)),
  );
  return odd ? 'unbounded' : undefined;
}

/** GET /client/v4/accounts/{a}/logs/audit (version 2); `cursorValid` if a cursor given came from an answer. */
export function auditV2Verdict(query: [string, string][], cursorValid: boolean): Verdict {
  const params = byName(query);
  const problem = firstProblem([
    () => windowProblem(params, true),
    () => oneOfProblem(params, 'direction', ['desc', 'asc']),
    () => integerProblem(params, 'limit', 1, 1000),
    () => {
      const { value, problem: twice } = single(params, 'cursor');
      return twice ?? (value === undefined || cursorValid ? undefined : 'cursor: one from an earlier page');
    },
  ]);
  if (problem) return verdict(`v2 ${problem} (§8.2)`, invalid);
  let unbounded = false;
  for (const [name, values] of params) {
    if (!FILTER_NAMES.has(name)) continue;
    const found = filterProblem(name, values);
    if (found === 'unbounded') unbounded = true;
    else if (found) return verdict(`v2 ${found} (§8.2)`, invalid);
  }
  return unbounded
    ? verdict('v2: a value the contract does not bound', ok, invalid)
    : verdict('v2: a valid query (§8.2)', ok);
}
