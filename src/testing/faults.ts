// Fault rules of test mode (docs/contract.md §8.6): make chosen API requests fail the way Cloudflare fails —
// an error envelope from the one error table, a delay, or a dropped connection — so that the code under
// test meets its retry paths. Rules are tried in the order they were added; a rule applies when its match
// fits, it has times left and its probability roll succeeds; the first rule that applies wins.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiError,
  ERRORS,
  type ErrorKey,
  internalError,
  type Violation,
  validationError,
} from '../errors.ts';
import { type FaultRule, type FaultRuleInput, MAX_FAULT_RULES } from './model.ts';

/** What a request meets: an error to answer with, a delay before going on, or a dropped connection. */
export type FaultEffect =
  | { kind: 'error'; error: ApiError }
  | { kind: 'delay'; ms: number }
  | { kind: 'drop' };

/** The default Retry-After of an injected 429: Cloudflare's answers carry one, and the SDKs honour it. */
const RATE_LIMIT_RETRY_AFTER = 1;

export class FaultRules {
  private rules: FaultRule[] = [];
  private added = 0;

  /** `random` rolls the probabilities; tests pass a seeded one. */
  constructor(private readonly random: () => number = Math.random) {}

  list(): FaultRule[] {
    return this.rules.map((rule) => structuredClone(rule));
  }

  clear(): void {
    this.rules = [];
  }

  /** Checks `input` beyond its schema (throws the 400 with pointers) and adds it after the others. */
  add(input: FaultRuleInput): FaultRule {
    const violations = checkRule(input);
    if (this.rules.length >= MAX_FAULT_RULES) {
      violations.push({ pointer: '', message: `at most ${MAX_FAULT_RULES} fault rules; clear some first` });
    }
    if (violations.length > 0) throw validationError(violations);
    this.added += 1;
    const rule: FaultRule = {
      id: `fault_${this.added}`,
      match: input.match ?? {},
      respond: input.respond,
      times: input.times ?? null,
      probability: input.probability ?? 1,
      hits: 0,
      remaining: input.times ?? null,
    };
    this.rules.push(rule);
    return structuredClone(rule);
  }

  /** The rule that applies to this request, if any, counted as applied. */
  take(method: string, path: string): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.remaining === 0 || !matches(rule, method, path)) continue;
      if (rule.probability < 1 && this.random() >= rule.probability) continue;
      rule.hits += 1;
      if (rule.remaining !== null) rule.remaining -= 1;
      return rule;
    }
    return undefined;
  }
}

/** What `rule` does to request `ray`. */
export function effectOf(rule: FaultRule, ray: string): FaultEffect {
  const { status, code, retry_after: retryAfter, delay_ms: delayMs, drop } = rule.respond;
  if (drop) return { kind: 'drop' };
  if (delayMs !== undefined) return { kind: 'delay', ms: delayMs };
  const key = errorKey(status as number, code) as ErrorKey;
  const seconds = retryAfter ?? (key === 'rateLimited' ? RATE_LIMIT_RETRY_AFTER : undefined);
  const headers: Record<string, string> = seconds === undefined ? {} : { 'retry-after': String(seconds) };
  // A 500 names its ray like any other (docs/contract.md §7).
  const details = key === 'internal' ? internalError(ray).details : undefined;
  return { kind: 'error', error: new ApiError(key, { headers, ...(details ? { details } : {}) }) };
}

/** Waits `ms`, or less if `signal` fires (the server is stopping). */
export async function delay(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}

/** The entry of the error table for `status` and `code` (its first for the status without a code). */
function errorKey(status: number, code: number | undefined): string | undefined {
  return Object.entries(ERRORS).find(
    ([, entry]) => entry.status === status && (code === undefined || entry.code === code),
  )?.[0];
}

/** The rules a schema cannot say: exactly one kind of answer, and a code the table has for the status. */
function checkRule({ respond }: FaultRuleInput): Violation[] {
  const kinds = ['status', 'delay_ms', 'drop'].filter((kind) => kind in respond);
  if (kinds.length !== 1) {
    return [{ pointer: '/respond', message: 'respond must have exactly one of status, delay_ms or drop' }];
  }
  const violations: Violation[] = [];
  const errorFields = ['code', 'retry_after'].filter((field) => field in respond);
  if (respond.status === undefined) {
    for (const field of errorFields) {
      violations.push({ pointer: `/respond/${field}`, message: `respond.${field} goes only with status` });
    }
  } else if (respond.code !== undefined && errorKey(respond.status, respond.code) === undefined) {
    const codes = Object.values(ERRORS)
      .filter((entry) => entry.status === respond.status)
      .map((entry) => entry.code);
    violations.push({
      pointer: '/respond/code',
      message: `respond.code must be one of ${codes.join(', ')} for status ${respond.status}`,
    });
  }
  return violations;
}

function matches({ match }: FaultRule, method: string, path: string): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== method) return false;
  if (match.path !== undefined && !globToRegExp(match.path).test(path)) return false;
  if (match.account_id !== undefined && accountOf(path) !== match.account_id) return false;
  return true;
}

const ACCOUNT_IN_PATH = /^\/(?:client\/v4|ringmaster\/v1)\/accounts\/([^/]+)(?:\/|$)/;

function accountOf(path: string): string | undefined {
  return ACCOUNT_IN_PATH.exec(path)?.[1];
}

/** `*` any run but `/`, `**` any run at all, `?` one character but `/`; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
