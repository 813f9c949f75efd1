// The change-control routes (history, revert, preview: docs/contract.md §8.3) and the two audit-log routes
// (§8.2): valid and hostile requests — bad revisions, wrong types, huge numbers, bad If-Match lists, bad
// since/before/cursor, repeated parameters, 100+ filter values, `.not` filters, bad enums — each with the
// answers change-oracle.ts allows, and checks of what a 200 carries: never another account's data.
import { ACCOUNT } from '../../accounts.ts';
import { bearer, type Case, type Context, randomText, uuid, validGroupBody } from '../case.ts';
import {
  auditV1Verdict,
  auditV2Verdict,
  type GroupState,
  historyVerdict,
  previewVerdict,
  readIfMatch,
  revertVerdict,
  V2_ENUMS,
  V2_FILTERS,
} from '../change-oracle.ts';
import type { Verdict } from '../oracle.ts';

export const EXTENSIONS = `/ringmaster/v1/accounts/${ACCOUNT}/deployment-groups`;
export const AUDIT_V1 = `/client/v4/accounts/${ACCOUNT}/audit_logs`;
export const AUDIT_V2 = `/client/v4/accounts/${ACCOUNT}/logs/audit`;
/** Names of the groups previews would create: none may ever exist (a preview writes nothing). */
export const PREVIEW_NAME = 'fuzz preview';

const pick = <T>(c: Context, items: readonly T[]): T => c.random.pick(items);

/** A group to name in a path, and what it is. */
function target(c: Context, states: GroupState[]): { id: string; state: GroupState } {
  const state = pick(c, states);
  if (state === 'stable') return { id: pick(c, c.stable), state };
  if (state === 'deleted' && c.deleted.length > 0) return { id: pick(c, c.deleted), state };
  const id = pick(c, [
    () => uuid(c.random),
    () => pick(c, c.others),
    () => pick(c, c.others).toUpperCase(),
    () => randomText(c.random, c.random.int(1, 60), 'abcdef0123456789-xyz_.~'),
  ])();
  return { id, state: 'absent' };
}

/** An If-Match header: mostly none; `*`; made-up tags (never current); lists; malformed ones. */
export function ifMatchHeader(c: Context): string | undefined {
  const tag = () =>
    `"r${c.random.int(0, 99)}-${randomText(c.random, c.random.int(0, 30), '0123456789-:.TZ')}"`;
  return pick(c, [
    undefined,
    undefined,
    undefined,
    '*',
    ' * ',
    tag(),
    `W/${tag()}`,
    `${tag()}, ${tag()}`,
    Array.from({ length: c.random.int(100, 400) }, tag).join(', '),
    '"a",,"b"',
    ', "a"',
    'r1-2026',
    '"unterminated',
    '*, "a"',
    'W/*',
    '"a" "b"',
    '""',
    'W/""',
    `"${'x'.repeat(c.random.int(1000, 6000))}"`,
    '"\x80"',
  ]);
}

/** Query parameters as [name, value]: written with encodeURIComponent, so the server reads these values. */
export const queryString = (params: [string, string][]) =>
  params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

function jsonPost(c: Context, kind: string, label: string, path: string, body: string, ifMatch?: string) {
  return {
    kind,
    label: `${label}${ifMatch === undefined ? '' : ` If-Match: ${ifMatch.slice(0, 40)}`}`,
    http: {
      method: 'POST',
      path,
      headers: {
        authorization: bearer(c),
        'content-type': 'application/json',
        ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }),
      },
      body: Buffer.from(body),
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// history

const PAGE_VALUES = ['1', '2', '100', '101', '0', '-1', '1.5', '1e2', '0x10', '', 'abc', '9007199254740992'];

export function history(c: Context): Case {
  const { id, state } = target(c, ['stable', 'stable', 'deleted', 'absent']);
  const params: [string, string][] = Array.from({ length: c.random.int(0, 3) }, () => [
    pick(c, ['page', 'per_page', 'page', 'per_page', 'direction', 'x']),
    pick(c, PAGE_VALUES),
  ]);
  const query = params.length > 0 ? `?${queryString(params)}` : '';
  return {
    kind: 'history',
    label: `history of ${state} ${id.slice(0, 40)}${query.slice(0, 60)}`,
    http: {
      method: 'GET',
      path: `${EXTENSIONS}/${encodeURIComponent(id)}/history${query}`,
      headers: { authorization: bearer(c) },
    },
    ...historyVerdict(state, params),
    inspect: (body) => {
      for (const entry of body.result) {
        if (entry.deployment_group !== null && entry.deployment_group.id !== id)
          return `history of ${id} shows group ${entry.deployment_group.id}`;
      }
      return undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// revert

const REVISIONS: (() => string)[] = [
  () => '1',
  () => '2',
  () => '3',
  () => '0',
  () => '-1',
  () => '1.5',
  () => '1.0',
  () => '"1"',
  () => 'null',
  () => 'true',
  () => '[1]',
  () => '{}',
  () => '2147483647',
  () => '2147483648',
  () => '1e300',
  () => '1e400',
  () => '-1e400',
  () => '9'.repeat(400),
  () => '0.0000000000000000000001',
];

export function revert(c: Context): Case {
  const { id, state } = target(c, ['stable', 'stable', 'deleted', 'deleted', 'absent']);
  const revision = pick(c, REVISIONS)();
  const body = pick(c, [
    `{"revision":${revision}}`,
    `{"revision":${revision}}`,
    `{"revision":${revision},"extra":1}`,
    '{}',
    '[]',
    `[{"revision":${revision}}]`,
    '"revision"',
    `{"revision":${revision},"revision":1}`,
  ]);
  const ifMatch = ifMatchHeader(c);
  const parsed = JSON.parse(body);
  return {
    ...jsonPost(
      c,
      'revert',
      `revert ${state} ${id.slice(0, 36)} ${body.slice(0, 60)}`,
      `${EXTENSIONS}/${encodeURIComponent(id)}/revert`,
      body,
      ifMatch,
    ),
    ...revertVerdict(state, parsed, readIfMatch(ifMatch)),
    inspect: (answer) =>
      answer.result.id === id ? undefined : `revert of ${id} answered ${answer.result.id}`,
  };
}

// ---------------------------------------------------------------------------------------------------
// preview

/** Bodies for a previewed create or update: valid, and the hostile shapes the write routes also get. */
function groupBody(c: Context, method: string): unknown {
  const valid = validGroupBody(c, { name: `${PREVIEW_NAME} ${c.counter}` });
  return pick(c, [
    () => (method === 'POST' ? valid : { name: valid.name }),
    () => valid,
    () => ({ ...valid, policy_ids: [`stable-${c.random.int(0, 19)}`] }),
    () => ({ ...valid, policy_ids: [`preview-${c.random.int(0, 9)}`] }),
    () => ({ ...valid, name: 5 }),
    () => ({ ...valid, name: '' }),
    () => ({ ...valid, version_config: [] }),
    () => ({ ...valid, version_config: [{ target_environment: 'linux', version: '2026.6.822.0' }] }),
    () => ({ ...valid, version_config: [{ target_environment: 'windows', version: 'latest' }] }),
    () => ({ ...valid, policy_ids: Array.from({ length: 1001 }, (_, i) => `p${i}`) }),
    () => ({ ...valid, colour: 'red' }),
    () => ({ version_config: valid.version_config }),
    () => ({}),
    () => null,
    () => [valid],
    () => 'body',
    () => Number.POSITIVE_INFINITY,
  ])();
}

export function preview(c: Context): Case {
  const method = pick(c, ['POST', 'PATCH', 'DELETE', 'PATCH', 'DELETE', 'patch', 'PUT', 5, null]);
  const { id, state } = target(c, ['stable', 'stable', 'absent']);
  // The existing targets are the frozen groups, which nothing but previews ever names.
  const groupId = state === 'stable' ? pick(c, c.frozen) : id;
  const request: Record<string, unknown> = { method };
  const roll = c.random.next();
  if (roll < 0.8) request.group_id = groupId;
  else if (roll < 0.85) request.group_id = pick(c, [5, null, [groupId], { id: groupId }]);
  if (c.random.chance(0.85)) request.body = groupBody(c, String(method));
  if (c.random.chance(0.05)) request[pick(c, ['extra', 'if_match', 'Method'])] = 1;
  const text = c.random.chance(0.05) ? JSON.stringify([request]) : JSON.stringify(request);
  const ifMatch = ifMatchHeader(c);
  const parsed = JSON.parse(text);
  return {
    ...jsonPost(c, 'preview', `preview ${text.slice(0, 100)}`, `${EXTENSIONS}/preview`, text, ifMatch),
    ...previewVerdict(parsed, state, readIfMatch(ifMatch)),
    inspect: (answer) => previewProblem(request, answer.result),
  };
}

/** A 200 preview: the group it would leave (none after a DELETE), and changes as a list. */
function previewProblem(request: Record<string, unknown>, result: any): string | undefined {
  if (!Array.isArray(result.changes)) return 'a preview without its changes';
  if (request.method === 'DELETE')
    return result.deployment_group === null ? undefined : 'a DELETE leaves a group';
  if (request.method === 'PATCH' && result.deployment_group?.id !== request.group_id)
    return `a PATCH of ${request.group_id} previewed group ${result.deployment_group?.id}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// audit logs

const DATES = [
  '2026-07-01',
  '2020-01-01',
  '2099-12-31',
  '1960-01-01',
  '0050-06-01',
  '2026-07-01T12:00:00Z',
  '2026-07-01t12:00:00z',
  '2026-07-01T12:00:00.123456789+02:00',
  '2026-07-01T12:00:00-23:59',
  '1969-12-31T23:59:59.999999999Z',
  '2026-02-29',
  '2028-02-29',
  '2026-13-01',
  '2026-07-01T24:00:00Z',
  '2026-07-01T12:00:00+24:00',
  '2026-07-01T12:00:00',
  '2026-07-01 12:00:00Z',
  '2026-07-01T12:00:00.1234567890Z',
  '0000-01-01',
  '2026-7-1',
  'yesterday',
  '',
  '1e9',
  '20260701',
];

/** A value for an audit filter: valid ones, known enum values, unknown ones, very long ones. */
function filterValue(c: Context, name: string, short: boolean): string {
  const base = name.replace(/\.not$/, '');
  const known = V2_ENUMS[base];
  if (known && c.random.chance(0.8)) return pick(c, known);
  if (base === 'product_category') return pick(c, ['zerotrust', 'IAM', 'ZeroTrust', 'dns', '']);
  if (base === 'raw_status_code') return pick(c, ['200', '404', '99', '600', '200.0', '0x1f', '', '٢٠٠']);
  if (base === 'actor_email') return pick(c, ['ops@example.com', 'OPS@EXAMPLE.COM', 'not-an-email', '']);
  return pick(c, [
    'update',
    uuid(c.random),
    pick(c, c.others),
    '',
    '🚀',
    '%',
    'x'.repeat(short ? 65 : c.random.int(65, 3000)),
    randomText(c.random, c.random.int(1, 20), 'abc123._-'),
  ]);
}

/** 100+ values of one filter, or a few: the §8.2 bound is 100 per filter. */
function filterParams(c: Context): [string, string][] {
  const base = pick(c, V2_FILTERS);
  const name = base !== 'product_category' && c.random.chance(0.4) ? `${base}.not` : base;
  const count = c.random.chance(0.1) ? c.random.int(95, 130) : c.random.int(1, 3);
  // 100+ values with short ones: the whole request line stays under its 16 KiB limit (§7).
  return Array.from({ length: count }, () => [name, filterValue(c, name, count > 3)] as [string, string]);
}

const V1_PARAMS: ((c: Context) => [string, string])[] = [
  (c) => ['since', pick(c, DATES)],
  (c) => ['before', pick(c, DATES)],
  (c) => ['direction', pick(c, ['asc', 'desc', 'ASC', 'up', ''])],
  (c) => ['page', pick(c, PAGE_VALUES)],
  (c) => ['per_page', pick(c, ['1', '1000', '1001', '0', '50', '1e2', ''])],
  (c) => ['export', pick(c, ['true', 'false', '1', 'yes', ''])],
  (c) => ['hide_user_logs', pick(c, ['true', 'false', 'TRUE', '0'])],
  (c) => [
    'actor.ip',
    pick(c, [
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      '2001:db8::/32',
      '10.0.0.0/33',
      '300.1.1.1',
      'abc',
      '::ffff:10.0.0.1',
      '10.0.0.1/',
    ]),
  ],
  (c) => ['actor.email', pick(c, ['ops@example.com', 'OPS@example.com', 'nobody', ''])],
  (c) => [
    'action.type',
    pick(c, ['create', 'update', 'delete', 'revert', 'revoke', 'frob', 'x'.repeat(100)]),
  ],
  (c) => ['id', pick(c, [uuid(c.random), uuid(c.random).replaceAll('-', ''), 'x'.repeat(2000)])],
  (c) => ['zone.name', pick(c, ['example.com', ''])],
  (c) => [pick(c, ['x', 'owner', 'account_id', '__proto__']), 'y'],
];

/** Who an audit entry (either version) belongs to: ACCOUNT, or no account (an all-accounts credential). */
function foreignEntry(entries: any[], version: 1 | 2, others: string[]): string | undefined {
  for (const entry of entries) {
    const account = version === 1 ? entry.owner?.id : entry.account?.id;
    if (account !== undefined && account !== ACCOUNT) return `an entry of account ${account}`;
    if (others.includes(entry.resource?.id))
      return `an entry about another account's group ${entry.resource.id}`;
    if (account === undefined && entry.resource?.type === 'deployment_group')
      return 'a group entry without its account';
  }
  return undefined;
}

export function auditV1(c: Context): Case {
  const params = Array.from({ length: c.random.int(0, 5) }, () => pick(c, V1_PARAMS)(c));
  const query = params.length > 0 ? `?${queryString(params)}` : '';
  return {
    kind: 'audit-v1',
    label: `audit v1 ${query.slice(0, 120)}`,
    http: { method: 'GET', path: `${AUDIT_V1}${query}`, headers: { authorization: bearer(c) } },
    ...auditV1Verdict(params),
    inspect: (body) => foreignEntry(body.result, 1, c.others),
  };
}

export function auditV2(c: Context): Case {
  const params: [string, string][] = [];
  if (c.random.chance(0.9)) params.push(['since', c.random.chance(0.7) ? '2000-01-01' : pick(c, DATES)]);
  if (c.random.chance(0.9)) params.push(['before', c.random.chance(0.7) ? '2100-01-01' : pick(c, DATES)]);
  let cursorValid = false;
  for (let n = c.random.int(0, 3); n > 0; n--) {
    const roll = c.random.next();
    if (roll < 0.5) params.push(...filterParams(c));
    else if (roll < 0.6) params.push(['limit', pick(c, ['1', '2', '1000', '1001', '0', '1.0', ''])]);
    else if (roll < 0.7) params.push(['direction', pick(c, ['asc', 'desc', 'sideways'])]);
    else if (roll < 0.85 && c.cursors.length > 0 && !params.some(([k]) => k === 'cursor')) {
      params.push(['cursor', pick(c, c.cursors)]);
      cursorValid = true;
    } else
      params.push([
        'cursor',
        pick(c, [
          '',
          'abc',
          'cm0xLjA',
          'cm0xLi0x',
          Buffer.from(`rm1.${'9'.repeat(30)}`).toString('base64url'),
          'x'.repeat(65),
        ]),
      ]);
    if (c.random.chance(0.05)) params.push(params[c.random.int(0, params.length - 1)] as [string, string]);
  }
  const shuffled = c.random.chance(0.5) ? params : [...params].reverse();
  // A valid cursor stays valid only once: a repeated `cursor` is refused whatever its value.
  const valid = cursorValid && shuffled.filter(([k]) => k === 'cursor').length === 1;
  const query = `?${queryString(shuffled)}`;
  const served = auditV2Verdict(shuffled, valid);
  // Several 100-value filters may make the head longer than its 16 KiB limit (§7): 431 2012 then.
  const verdict: Verdict =
    query.length > 14_000
      ? {
          rule: `${served.rule}, or a head over 16 KiB`,
          allowed: [...served.allowed, { status: 431, code: 2012 }],
        }
      : served;
  return {
    kind: 'audit-v2',
    label: `audit v2 ${query.slice(0, 120)}`,
    http: { method: 'GET', path: `${AUDIT_V2}${query}`, headers: { authorization: bearer(c) } },
    ...verdict,
    inspect: (body) => {
      const cursor = body.result_info?.cursor;
      if (typeof cursor === 'string' && c.cursors.length < 50) c.cursors.push(cursor);
      return foreignEntry(body.result, 2, c.others);
    },
  };
}
