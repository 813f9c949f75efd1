// The fuzzer's oracle: what docs/contract.md says must come back for a request, written from the contract and
// not from the code. Each function takes what was sent and returns the acceptable answers with the rule that
// decided them, so that a violation names the rule it broke.

/** An acceptable answer: a status, and for failures the first error's code. */
export interface Outcome {
  status: number;
  code?: number;
}

/** The acceptable answers and the contract rule they come from. */
export interface Verdict {
  allowed: Outcome[];
  rule: string;
}

/** A write the body is sent to. */
export interface Target {
  mode: 'create' | 'update';
  method: 'POST' | 'PATCH';
  path: string;
  /** PATCH on a group that exists. */
  exists: boolean;
}

const ok: Outcome = { status: 200 };
const invalid: Outcome = { status: 400, code: 2001 };
const notJson: Outcome = { status: 400, code: 2003 };
const verdict = (rule: string, ...allowed: Outcome[]): Verdict => ({ allowed, rule });

/** Bodies over this many bytes → 413 (§4). */
export const BODY_LIMIT = 256 * 1024;
/** At most this many error objects in an answer (§4). */
export const MAX_ERRORS = 100;
/** The 100th error object when there were more violations (§4). */
export const MORE_VIOLATIONS = /^([1-9]\d*) more violations not listed$/;
/** §4: 1–16 entries; 0–1000 policy IDs; at most 32 fields in a body and 8 in an entry; pages to 2^53 − 1. */
export const MAX_ENTRIES = 16;
export const MAX_POLICY_IDS = 1000;
export const MAX_BODY_FIELDS = 32;
export const MAX_ENTRY_FIELDS = 8;
const MAX_PAGE = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------------------------------------------
// §4 fields

const VERSION = /^\d{4}\.(?:[1-9]|1[0-2])\.\d+\.\d+$/u;
export const POLICY_ID = /^[!-~]{1,36}$/u;
const ENVIRONMENTS: unknown[] = ['windows', 'macos', null];
const KNOWN_FIELDS = new Set(['name', 'version_config', 'policy_ids', 'id', 'created_at', 'updated_at']);
const EMOJI = /^\p{Extended_Pictographic}$/u;
const EMOJI_MODIFIER = /^[\u{FE0F}\u{1F3FB}-\u{1F3FF}]$/u;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** U+200D is allowed only between two emoji, the first optionally followed by U+FE0F or a skin tone. */
function joinsEmoji(chars: string[], at: number): boolean {
  let before = at - 1;
  if (EMOJI_MODIFIER.test(chars[before] ?? '')) before--;
  return EMOJI.test(chars[before] ?? '') && EMOJI.test(chars[at + 1] ?? '');
}

/** §4 `name`: which rule a value breaks, if any. */
export function nameViolation(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'name: a string';
  const chars = [...v];
  if (chars.length < 1 || chars.length > 255) return 'name: 1–255 code points';
  if (!/\S/u.test(v)) return 'name: not only whitespace';
  for (const [at, char] of chars.entries()) {
    if (/[\p{Cc}\p{Cs}]/u.test(char)) return 'name: no control characters or lone surrogates';
    if (/[\p{Zl}\p{Zp}]/u.test(char)) return 'name: no line or paragraph separators';
    if (/\p{Cf}/u.test(char) && !(char === '\u200d' && joinsEmoji(chars, at))) {
      return 'name: no format characters (U+200D only inside an emoji sequence)';
    }
  }
  return undefined;
}

function entryViolation(entry: unknown): string | undefined {
  if (!isObject(entry)) return 'version_config: entries are objects';
  if (Object.keys(entry).some((k) => k !== 'target_environment' && k !== 'version')) {
    return 'version_config: no unknown keys in an entry';
  }
  if (!Object.hasOwn(entry, 'target_environment') || !Object.hasOwn(entry, 'version')) {
    return 'version_config: target_environment and version required';
  }
  if (!ENVIRONMENTS.includes(entry.target_environment)) return 'version_config: a configured environment';
  if (typeof entry.version !== 'string' || !VERSION.test(entry.version))
    return 'version_config: version pattern';
  return undefined;
}

export function versionConfigViolation(v: unknown): string | undefined {
  if (!Array.isArray(v) || v.length < 1 || v.length > MAX_ENTRIES) return 'version_config: 1–16 entries';
  for (const entry of v) {
    const problem = entryViolation(entry);
    if (problem) return problem;
  }
  const environments = v.map((entry) => entry.target_environment);
  if (new Set(environments).size !== environments.length) return 'version_config: each environment once';
  return undefined;
}

function policyIdsViolation(v: unknown): string | undefined {
  if (v === null) return undefined;
  if (!Array.isArray(v) || v.length > MAX_POLICY_IDS) return 'policy_ids: null or 0–1000 strings';
  if (!v.every((id) => typeof id === 'string' && POLICY_ID.test(id))) {
    return 'policy_ids: 1–36 printable ASCII characters';
  }
  return new Set(v).size === v.length ? undefined : 'policy_ids: no duplicates';
}

/** §4: which rule a parsed body breaks for a create or an update, if any. */
export function bodyViolation(mode: 'create' | 'update', v: unknown): string | undefined {
  if (!isObject(v)) return 'body: an object';
  if (Object.keys(v).some((k) => !KNOWN_FIELDS.has(k))) return 'body: no unknown fields';
  const has = (k: string) => Object.hasOwn(v, k);
  if (mode === 'create' && (!has('name') || !has('version_config'))) {
    return 'create: name and version_config required';
  }
  const checks: [string, (value: unknown) => string | undefined][] = [
    ['name', nameViolation],
    ['version_config', versionConfigViolation],
    ['policy_ids', policyIdsViolation],
  ];
  for (const [field, check] of checks) {
    const problem = has(field) ? check(v[field]) : undefined;
    if (problem) return problem;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// §4 bodies as bytes

/** secure-json-parse (Fastify's JSON parser) refuses `__proto__` keys and `constructor.prototype`. */
function hasPoisonedKey(root: unknown): boolean {
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (!Array.isArray(node)) {
      if (Object.hasOwn(node, '__proto__')) return true;
      const ctor = (node as Record<string, unknown>).constructor;
      if (Object.hasOwn(node, 'constructor') && isObject(ctor) && Object.hasOwn(ctor, 'prototype'))
        return true;
    }
    for (const child of Object.values(node)) stack.push(child);
  }
  return false;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as JSON, or why it is not (→ 400 2003). */
function parseBody(body: Buffer): { value: unknown } | { problem: string } {
  if (body.length === 0) return { problem: 'body: empty on a route that takes one' };
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return { problem: 'body: invalid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return { problem: 'body: not JSON' };
  }
  return hasPoisonedKey(value) ? { problem: 'body: prototype-poisoning keys' } : { value };
}

/** What a JSON body sent to a write must get: 413, 2003, 2001, 404, or 200 (or 409 for policy IDs). */
export function bodyVerdict(target: Target, body: Buffer): Verdict {
  if (body.length > BODY_LIMIT) return verdict('body: at most the body limit', { status: 413, code: 2005 });
  const parsed = parseBody(body);
  if ('problem' in parsed) return verdict(parsed.problem, notJson);
  const problem = bodyViolation(target.mode, parsed.value);
  if (problem) return verdict(problem, invalid);
  if (target.mode === 'update' && !target.exists)
    return verdict('update: unknown group', { status: 404, code: 2002 });
  const policyIds = (parsed.value as { policy_ids?: unknown }).policy_ids;
  // Generated policy IDs may repeat across requests: a conflict is then the right answer (§5).
  return Array.isArray(policyIds) && policyIds.length > 0
    ? verdict('valid write with policy IDs', ok, { status: 409, code: 2004 })
    : verdict('valid write', ok);
}

// ---------------------------------------------------------------------------------------------------
// §4 media types, §7 Expect

/** `application/json`, with at most a UTF-8 charset (§4). */
export function mediaTypeProblem(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^application\/json\s*(;|$)/i.test(contentType)) {
    return 'Content-Type: application/json on a body-taking route';
  }
  for (const parameter of contentType.split(';').slice(1)) {
    const [name = '', value = ''] = parameter.split('=').map((s) => s.trim());
    if (name.toLowerCase() === 'charset' && value.replace(/^"|"$/g, '').toLowerCase() !== 'utf-8') {
      return 'Content-Type: a charset other than UTF-8';
    }
  }
  return undefined;
}

/** A write with this Content-Type and body (§4): 415, else as the body says. */
export function writeVerdict(target: Target, contentType: string | undefined, body: Buffer): Verdict {
  const problem = mediaTypeProblem(contentType);
  return problem ? verdict(problem, { status: 415, code: 2006 }) : bodyVerdict(target, body);
}

/** §7: any Expect but 100-continue (compared case-insensitively, as HTTP does) → 417 2015. */
export function expectVerdict(value: string, served: Verdict): Verdict {
  return value.trim().toLowerCase() === '100-continue'
    ? served
    : verdict('Expect: only 100-continue', { status: 417, code: 2015 });
}

// ---------------------------------------------------------------------------------------------------
// §4 the list's query string

const DIGITS = /^[0-9]+$/;

/** What the query string must get on the list route. */
export function queryVerdict(params: [string, string][]): Verdict {
  const check = (name: string, max: number): string | undefined => {
    const given = params.filter(([k]) => k === name).map(([, v]) => v);
    if (given.length === 0) return undefined;
    if (given.length > 1) return `${name}: given once`;
    const text = given[0] as string;
    if (!DIGITS.test(text)) return `${name}: decimal digits only`;
    const n = Number(text);
    return n < 1 || n > max ? `${name}: 1–${max}` : undefined;
  };
  const problem = check('page', MAX_PAGE) ?? check('per_page', 100);
  return problem ? verdict(problem, invalid) : verdict('valid query', ok);
}

// ---------------------------------------------------------------------------------------------------
// §6 credentials

/** The credential headers as sent; a header given twice has two values. */
export interface SentCredentials {
  authorization?: string[];
  key?: string[];
  email?: string[];
}

const SECRET_SHAPE = /^[A-Za-z0-9_-]{1,512}$/;
// Node strips leading and trailing whitespace from header values.
const trim = (v: string | undefined) => v?.replace(/^[ \t]+|[ \t]+$/g, '');

/** What the credentials must get on an authenticated route (§6), or 'pass' to the route itself. */
export function authVerdict(
  sent: SentCredentials,
  validTokens: Set<string>,
  verifyRoute: boolean,
): Verdict | 'pass' {
  if ([sent.authorization, sent.key, sent.email].some((values) => (values?.length ?? 0) > 1)) {
    return verdict('credentials: one of each header', { status: 400, code: 6003 });
  }
  const authorization = trim(sent.authorization?.[0]);
  const key = trim(sent.key?.[0]);
  const email = trim(sent.email?.[0]);
  const malformed = verdict('credentials: well-formed', { status: 400, code: 6003 });
  let token: string | undefined;
  if (authorization !== undefined) {
    token = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
    if (token === undefined || !SECRET_SHAPE.test(token)) return malformed;
  } else if (key && email) {
    if (!SECRET_SHAPE.test(key)) return malformed;
  } else {
    return verdict('credentials: present', { status: 400, code: 9106 });
  }
  // The fuzzer holds only one valid credential, a token; /user/tokens/verify takes only tokens.
  if (token !== undefined && validTokens.has(token)) return 'pass';
  return verifyRoute
    ? verdict('credentials: a valid token (verify)', { status: 401, code: 1000 })
    : verdict('credentials: valid', { status: 403, code: 9109 });
}
