// Version targets (docs/contract.md §8.4): one target by query, the account's document (with If-None-Match),
// and batches to …/resolve, valid and hostile. Policies the fuzzer knows the answer for: `frozen-i` (held by
// the frozen group i, windows 2026.6.822.0 only, never changed), `other-i` (held in another account: none
// here), and `nx-…` (held by nobody).
import { ACCOUNT } from '../../accounts.ts';
import { bearer, type Case, type Context, randomText } from '../case.ts';
import { readIfMatch } from '../change-oracle.ts';
import type { Verdict } from '../oracle.ts';
import {
  type KnownPolicy,
  resolveBodyViolation,
  targetProblem,
  targetsQueryVerdict,
} from '../rollout-oracle.ts';
import { ifMatchHeader, queryString } from './change-control.ts';

export const TARGETS = `/ringmaster/v1/accounts/${ACCOUNT}/version-targets`;
const pick = <T>(c: Context, items: readonly T[]): T => c.random.pick(items);

/** The frozen groups' one entry (validGroupBody). */
const FROZEN_VERSIONS = { windows: '2026.6.822.0' };

/** A policy ID the fuzzer knows the answer for, or an odd one (long, spaces, control characters, empty). */
function policyId(c: Context): string {
  return pick(c, [
    () => `frozen-${c.random.int(0, 4)}`,
    () => `frozen-${c.random.int(0, 4)}`,
    () => `other-${c.random.int(0, 4)}`,
    () => `nx-${randomText(c.random, c.random.int(1, 33), 'abcdefghijklmnopqrstuvwxyz0123456789!~')}`,
    () => `stable-${c.random.int(0, 19)}`,
    () => 'x'.repeat(pick(c, [36, 37, 200, 5000])),
    () => pick(c, ['', ' ', 'a b', 'a\tb', 'é', '🚀', '\u0000', 'frozen-0 ', '%']),
  ])();
}

const environment = (c: Context): string =>
  pick(c, ['windows', 'windows', 'macos', 'macos', 'linux', 'Windows', '', 'null', 'x'.repeat(300)]);

/** What the fuzzer knows of a policy, or undefined (a policy other requests may have moved). */
function known(c: Context, policy: string): KnownPolicy | undefined {
  const frozen = /^frozen-(\d)$/.exec(policy);
  if (frozen) return { group: c.frozen[Number(frozen[1])], versions: FROZEN_VERSIONS };
  if (/^(other-\d|nx-.*)$/.test(policy)) return {};
  return undefined;
}

export function targetsGet(c: Context): Case {
  const params: [string, string][] = [];
  if (c.random.chance(0.85)) params.push(['policy_id', policyId(c)]);
  if (c.random.chance(0.85)) params.push(['target_environment', environment(c)]);
  if (c.random.chance(0.1))
    params.push([pick(c, ['policy_id', 'target_environment', 'x', 'policy']), 'windows']);
  const shuffled = c.random.chance(0.5) ? params : [...params].reverse();
  const query = shuffled.length > 0 ? `?${queryString(shuffled)}` : '';
  const served = targetsQueryVerdict(shuffled);
  const document = !shuffled.some(([k]) => k === 'policy_id' || k === 'target_environment');
  return document ? targetsDocument(c, query) : targetCase(c, query, served, shuffled);
}

function targetCase(c: Context, query: string, served: Verdict, params: [string, string][]): Case {
  const policy = params.find(([k]) => k === 'policy_id')?.[1] ?? '';
  const env = params.find(([k]) => k === 'target_environment')?.[1] ?? '';
  const knows = known(c, policy);
  return {
    kind: 'targets-get',
    label: `version target ${query.slice(0, 120)}`,
    http: { method: 'GET', path: `${TARGETS}${query}`, headers: { authorization: bearer(c) } },
    ...served,
    inspect: (answer) => {
      if (answer.result !== null && answer.result.policy_id !== policy)
        return `asked ${policy}, answered ${answer.result.policy_id}`;
      if (c.others.includes(answer.result?.deployment_group?.id)) return 'another account’s group';
      const query = { policy_id: policy, target_environment: env };
      return knows && targetProblem(knows, query, answer.result, answer.messages?.[0]);
    },
  };
}

/** The whole document; If-None-Match `*` → 304, made-up tags never match, a malformed list → 400. */
export function targetsDocument(c: Context, query = ''): Case {
  const header = c.random.chance(0.5) ? ifMatchHeader(c) : undefined;
  const read = readIfMatch(header);
  const served: Verdict =
    read === 'any'
      ? { rule: 'If-None-Match: * (§8.4)', allowed: [{ status: 304 }] }
      : read === 'malformed'
        ? { rule: 'If-None-Match: a malformed list (§8.1)', allowed: [{ status: 400, code: 2001 }] }
        : { rule: 'the document (§8.4)', allowed: [{ status: 200 }] };
  return {
    kind: 'targets-document',
    label: `version-targets document${header === undefined ? '' : ` If-None-Match: ${header.slice(0, 60)}`}`,
    http: {
      method: 'GET',
      path: `${TARGETS}${query}`,
      headers: { authorization: bearer(c), ...(header === undefined ? {} : { 'if-none-match': header }) },
    },
    ...served,
    inspect: (answer) => documentProblem(c, answer.result),
  };
}

function documentProblem(c: Context, result: any): string | undefined {
  if (!Array.isArray(result?.targets)) return 'a document without targets';
  for (const entry of result.targets) {
    if (c.others.includes(entry.deployment_group_id) || /^other-\d$/.test(entry.policy_id))
      return `another account’s policy in the document: ${JSON.stringify(entry)}`;
    const frozen = /^frozen-(\d)$/.exec(entry.policy_id);
    if (frozen && entry.deployment_group_id !== c.frozen[Number(frozen[1])])
      return `${entry.policy_id} in group ${entry.deployment_group_id}`;
  }
  return undefined;
}

/** One batch item: mostly valid, sometimes of the wrong type or shape. */
function item(c: Context, valid: boolean): unknown {
  const query = {
    policy_id: valid ? pick(c, ['frozen-0', 'frozen-3', 'other-1', 'nx-a']) : policyId(c),
    target_environment: valid ? pick(c, ['windows', 'macos']) : environment(c),
  };
  if (valid) return query;
  return pick(c, [
    () => query,
    () => null,
    () => 'frozen-0',
    () => [query.policy_id, query.target_environment],
    () => ({ policy_id: query.policy_id }),
    () => ({ ...query, extra: 1 }),
    () => ({ ...query, policy_id: 5 }),
    () => ({ ...query, target_environment: null }),
  ])();
}

export function targetsResolve(c: Context): Case {
  const count = pick(c, [0, 1, 1, 2, 5, 20, 1000, 1001]);
  const hostile = c.random.chance(0.4);
  const queries = Array.from({ length: count }, () => item(c, !hostile || c.random.chance(0.9)));
  const body: unknown = pick(c, [
    () => ({ queries }),
    () => ({ queries }),
    () => ({ queries }),
    () => ({ queries, extra: true }),
    () => queries,
    () => ({ queries: queries[0] ?? null }),
    () => ({}),
  ])();
  const text = JSON.stringify(body);
  const problem = resolveBodyViolation(body);
  return {
    kind: 'targets-resolve',
    label: `resolve ${count} ${text.slice(0, 150)}`,
    http: {
      method: 'POST',
      path: `${TARGETS}/resolve`,
      headers: { authorization: bearer(c), 'content-type': 'application/json' },
      body: Buffer.from(text),
    },
    ...(problem
      ? { rule: `resolve ${problem} (§8.4)`, allowed: [{ status: 400, code: 2001 }] }
      : { rule: 'resolve: one answer per query (§8.4)', allowed: [{ status: 200 }] }),
    inspect: (answer) => resolvedProblem(c, queries as any[], answer),
  };
}

function resolvedProblem(c: Context, queries: any[], answer: any): string | undefined {
  if (!Array.isArray(answer.result) || answer.result.length !== queries.length)
    return `${queries.length} queries, ${answer.result?.length} answers`;
  for (const [i, query] of queries.entries()) {
    const message = (answer.messages ?? []).find((m: any) => String(m.message).startsWith(`queries[${i}]:`));
    if (answer.result[i] === null && !message) return `queries[${i}]: null without its message`;
    const knows = known(c, query.policy_id);
    const problem = knows && targetProblem(knows, query, answer.result[i], message);
    if (problem) return `queries[${i}] ${problem}`;
  }
  return undefined;
}
