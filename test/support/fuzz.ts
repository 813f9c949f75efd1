// The fuzzer, shared by test/fuzz.test.ts (a sample) and scripts/fuzz.ts (100,000
// requests). It starts the real server as a child process and sends generated requests of every kind below,
// most through a keep-alive HTTP client and the malformed ones over raw sockets. For each request it knows
// what the contract says must come back — an oracle, written from docs/contract.md, not from the code — and
// checks: never a 5xx; always JSON with a `cf-ray`; every failure is the envelope with the right status
// and code; and the server stays up (it is asked /healthz every 500 requests, and must not have exited).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT } from './accounts.ts';
import { CF_RAY } from './envelope.ts';
import { Random } from './random.ts';
import { type RawResponse, rawExchange } from './raw-http.ts';
import { ROOT } from './server.ts';

const COLLECTION = `/client/v4/accounts/${ACCOUNT}/devices/deployment-groups`;
const VERIFY = '/client/v4/user/tokens/verify';
const MIB = 1024 * 1024;
/** docs/contract.md §4: bodies over 256 KiB → 413. */
const BODY_LIMIT = 256 * 1024;

export const KINDS = {
  valid: 8,
  'json-malformed': 14,
  'json-deep': 0.4,
  'huge-numbers': 7,
  'wrong-types': 10,
  unicode: 12,
  'odd-headers': 10,
  auth: 10,
  'long-paths': 7,
  'query-strings': 6,
  'wrong-methods': 7,
  'random-bytes': 4,
  pipelined: 2,
  'body-size': 0.15,
} as const;
export type Kind = keyof typeof KINDS;

/** An acceptable answer: a status, and for failures the first error's code. */
interface Outcome {
  status: number;
  code?: number;
}

interface Case {
  kind: Kind;
  /** A short description for the failure report. */
  label: string;
  http?: { method: string; path: string; headers: Record<string, string | string[]>; body?: Buffer };
  raw?: { data: Buffer; endAfterMs?: number; head?: boolean };
  /** Acceptable answers (any of them). Pipelined cases check every answer with `each`. */
  allowed: Outcome[];
  /** Raw only: the server may close without answering (the client broke off mid-request). */
  mayNotAnswer?: boolean;
  /** Raw only: outcomes allowed for answers after the first (pipelined or left-over bytes). */
  following?: Outcome[];
  /** Called with the parsed body of a 200, e.g. to remember a created group. */
  onSuccess?: (body: any) => void;
}

export interface FuzzOptions {
  requests: number;
  seed: number;
  concurrency?: number;
  /** Stop after this many violations (they are all reported). */
  maxFailures?: number;
  log?: (line: string) => void;
}

export interface FuzzSummary {
  seed: number;
  requests: number;
  byKind: Record<string, number>;
  /** Milliseconds spent waiting for answers, by kind (summed over the concurrent workers). */
  msByKind: Record<string, number>;
  byStatus: Record<string, number>;
  failures: string[];
  healthChecks: number;
  seconds: number;
}

// ---------------------------------------------------------------------------------------------------
// The oracle: what docs/contract.md §4 accepts.

// No control characters, lone surrogates, line/paragraph separators or format characters, except U+200D
// between two emoji (the first optionally followed by U+FE0F or a skin tone).
const FORBIDDEN = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u;
const FORMAT = /\p{Cf}/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const EMOJI_SUFFIX = /[\uFE0F\p{Emoji_Modifier}]/u;
function joinsEmoji(chars: string[], i: number): boolean {
  const before = EMOJI_SUFFIX.test(chars[i - 1] ?? '') ? chars[i - 2] : chars[i - 1];
  return chars[i] === '\u200d' && PICTOGRAPHIC.test(before ?? '') && PICTOGRAPHIC.test(chars[i + 1] ?? '');
}
const allowedCharacters = (s: string) => {
  const chars = [...s];
  return chars.every((c, i) => !FORBIDDEN.test(c) && (!FORMAT.test(c) || joinsEmoji(chars, i)));
};
const VERSION = /^\d{4}\.(?:[1-9]|1[0-2])\.\d+\.\d+$/u;
const POLICY_ID = /^[!-~]+$/u;
const ENVIRONMENTS: unknown[] = ['windows', 'macos', null];
const KNOWN_FIELDS = new Set(['name', 'version_config', 'policy_ids', 'id', 'created_at', 'updated_at']);
const codePoints = (s: string) => [...s].length;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function validName(v: unknown): boolean {
  return (
    typeof v === 'string' &&
    codePoints(v) >= 1 &&
    codePoints(v) <= 255 &&
    /\S/u.test(v) &&
    allowedCharacters(v)
  );
}

function validVersionConfig(v: unknown): boolean {
  if (!Array.isArray(v) || v.length < 1 || v.length > 16) return false;
  const seen = new Set<unknown>();
  for (const entry of v) {
    if (!isObject(entry)) return false;
    if (Object.keys(entry).some((k) => k !== 'target_environment' && k !== 'version')) return false;
    if (!Object.hasOwn(entry, 'target_environment') || !Object.hasOwn(entry, 'version')) return false;
    if (!ENVIRONMENTS.includes(entry.target_environment)) return false;
    if (typeof entry.version !== 'string' || !VERSION.test(entry.version)) return false;
    if (seen.has(entry.target_environment)) return false;
    seen.add(entry.target_environment);
  }
  return true;
}

function validPolicyIds(v: unknown): boolean {
  if (v === null) return true;
  if (!Array.isArray(v) || v.length > 1000) return false;
  if (
    !v.every(
      (id) => typeof id === 'string' && codePoints(id) >= 1 && codePoints(id) <= 36 && POLICY_ID.test(id),
    )
  ) {
    return false;
  }
  return new Set(v).size === v.length;
}

function validBody(mode: 'create' | 'update', v: unknown): boolean {
  if (!isObject(v)) return false;
  if (Object.keys(v).some((k) => !KNOWN_FIELDS.has(k))) return false;
  const has = (k: string) => Object.hasOwn(v, k);
  if (mode === 'create' && (!has('name') || !has('version_config'))) return false;
  if (has('name') && !validName(v.name)) return false;
  if (has('version_config') && !validVersionConfig(v.version_config)) return false;
  if (has('policy_ids') && !validPolicyIds(v.policy_ids)) return false;
  return true;
}

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

interface Target {
  mode: 'create' | 'update';
  method: 'POST' | 'PATCH';
  path: string;
  /** PATCH on a group that exists. */
  exists: boolean;
}

/** What the body, as bytes, must get: 2003 if it is not JSON, else 2001 / 404 / 200 per the schema. */
function bodyOutcome(target: Target, body: Buffer): Outcome[] {
  if (body.length === 0) return [{ status: 400, code: 2003 }];
  if (body.length > BODY_LIMIT) return [{ status: 413, code: 2005 }];
  let text: string;
  try {
    // docs/contract.md §4: bytes that are not valid UTF-8 → 2003.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return [{ status: 400, code: 2003 }];
  }
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return [{ status: 400, code: 2003 }];
  }
  if (hasPoisonedKey(value)) return [{ status: 400, code: 2003 }];
  if (!validBody(target.mode, value)) return [{ status: 400, code: 2001 }];
  if (target.mode === 'update' && !target.exists) return [{ status: 404, code: 2002 }];
  const policyIds = (value as { policy_ids?: unknown }).policy_ids;
  // Generated policy IDs may repeat across requests: a conflict is then the right answer.
  return Array.isArray(policyIds) && policyIds.length > 0
    ? [{ status: 200 }, { status: 409, code: 2004 }]
    : [{ status: 200 }];
}

/** What the query string must get on the list route (docs/contract.md §4: decimal digits only). */
function queryOutcome(params: [string, string][]): Outcome[] {
  const values = (name: string) => params.filter(([k]) => k === name).map(([, v]) => v);
  const ok = (name: string, min: number, max: number) => {
    const given = values(name);
    if (given.length === 0) return true;
    if (given.length > 1) return false; // repeated → an array, not an integer
    const text = given[0] as string;
    // docs/contract.md §4: decimal digits only.
    if (!/^[0-9]+$/.test(text)) return false;
    const n = Number(text);
    return n >= min && n <= max;
  };
  return ok('page', 1, Number.MAX_SAFE_INTEGER) && ok('per_page', 1, 100)
    ? [{ status: 200 }]
    : [{ status: 400, code: 2001 }];
}

/** What the credentials must get on an authenticated route (docs/contract.md §6), or 'pass'. */
function authOutcome(
  headers: { authorization?: string; key?: string; email?: string },
  validSecrets: Set<string>,
  verifyRoute: boolean,
): Outcome | 'pass' {
  // Node strips leading and trailing whitespace from header values.
  const authorization = headers.authorization?.replace(/^[ \t]+|[ \t]+$/g, '');
  const key = headers.key?.replace(/^[ \t]+|[ \t]+$/g, '');
  const email = headers.email?.replace(/^[ \t]+|[ \t]+$/g, '');
  const shape = /^[A-Za-z0-9_-]{1,512}$/;
  let secret: string;
  let kind: 'token' | 'key';
  if (authorization !== undefined) {
    const token = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
    if (token === undefined || !shape.test(token)) return { status: 400, code: 6003 };
    secret = token;
    kind = 'token';
  } else if (key && email) {
    if (!shape.test(key)) return { status: 400, code: 6003 };
    secret = key;
    kind = 'key';
  } else {
    return { status: 400, code: 9106 };
  }
  const valid = kind === 'token' && validSecrets.has(secret);
  if (!valid || (verifyRoute && kind !== 'token'))
    return verifyRoute ? { status: 401, code: 1000 } : { status: 403, code: 9109 };
  return 'pass';
}

// ---------------------------------------------------------------------------------------------------
// Generators

interface Context {
  random: Random;
  token: string;
  /** Groups made at start-up, never deleted: targets for PATCH and GET. */
  stable: string[];
  /** Groups created by `valid` requests: targets for DELETE. */
  created: string[];
  counter: number;
}

const uuid = (r: Random) =>
  [8, 4, 4, 4, 12]
    .map((n) => Array.from({ length: n }, () => r.pick([...'0123456789abcdef'])).join(''))
    .join('-');

const validGroupBody = (c: Context, extra: Record<string, unknown> = {}) => ({
  name: `fuzz ${++c.counter}`,
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  ...extra,
});

function pickTarget(c: Context): Target {
  const roll = c.random.next();
  if (roll < 0.35) return { mode: 'create', method: 'POST', path: COLLECTION, exists: false };
  if (roll < 0.7)
    return {
      mode: 'update',
      method: 'PATCH',
      path: `${COLLECTION}/${c.random.pick(c.stable)}`,
      exists: true,
    };
  return { mode: 'update', method: 'PATCH', path: `${COLLECTION}/${uuid(c.random)}`, exists: false };
}

function jsonCase(
  c: Context,
  kind: Kind,
  label: string,
  body: Buffer | string,
  target = pickTarget(c),
): Case {
  const bytes = Buffer.from(body);
  return {
    kind,
    label: `${target.method} ${label}`,
    http: {
      method: target.method,
      path: target.path,
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
      body: bytes,
    },
    allowed: bodyOutcome(target, bytes),
  };
}

/** A valid body in which one field's value is replaced. */
function withField(c: Context, field: string, value: unknown, target: Target): string {
  const base: Record<string, unknown> = target.mode === 'create' ? validGroupBody(c) : {};
  base[field] = value;
  return JSON.stringify(base);
}

const FIELDS = ['name', 'version_config', 'policy_ids', 'id', 'created_at', 'policy_id', 'extra'];

function genValid(c: Context): Case {
  const r = c.random;
  const auth = { authorization: `Bearer ${c.token}` };
  const json = { ...auth, 'content-type': 'application/json' };
  switch (r.pick(['list', 'create', 'get', 'get-missing', 'patch', 'delete', 'verify', 'health'] as const)) {
    case 'list': {
      const query = `?page=${r.int(1, 3)}&per_page=${r.int(1, 100)}`;
      return {
        kind: 'valid',
        label: `list ${query}`,
        http: { method: 'GET', path: COLLECTION + query, headers: auth },
        allowed: [{ status: 200 }],
      };
    }
    case 'create': {
      const body = validGroupBody(
        c,
        r.chance(0.5) ? { policy_ids: [`fz-${c.counter}-a`, `fz-${c.counter}-b`] } : {},
      );
      return {
        kind: 'valid',
        label: 'create',
        http: { method: 'POST', path: COLLECTION, headers: json, body: Buffer.from(JSON.stringify(body)) },
        allowed: [{ status: 200 }],
        onSuccess: (response) => c.created.push(response.result.id),
      };
    }
    case 'get':
      return {
        kind: 'valid',
        label: 'get',
        http: { method: 'GET', path: `${COLLECTION}/${r.pick(c.stable)}`, headers: auth },
        allowed: [{ status: 200 }],
      };
    case 'get-missing':
      return {
        kind: 'valid',
        label: 'get missing',
        http: { method: 'GET', path: `${COLLECTION}/${uuid(r)}`, headers: auth },
        allowed: [{ status: 404, code: 2002 }],
      };
    case 'patch': {
      const body = JSON.stringify({ name: `fuzz patched ${++c.counter}` });
      return {
        kind: 'valid',
        label: 'patch',
        http: {
          method: 'PATCH',
          path: `${COLLECTION}/${r.pick(c.stable)}`,
          headers: json,
          body: Buffer.from(body),
        },
        allowed: [{ status: 200 }],
      };
    }
    case 'delete': {
      const id = c.created.pop();
      if (id === undefined) return genValid(c);
      return {
        kind: 'valid',
        label: 'delete',
        http: { method: 'DELETE', path: `${COLLECTION}/${id}`, headers: auth },
        allowed: [{ status: 200 }],
      };
    }
    case 'verify':
      return {
        kind: 'valid',
        label: 'verify',
        http: { method: 'GET', path: VERIFY, headers: auth },
        allowed: [{ status: 200 }],
      };
    case 'health':
      return {
        kind: 'valid',
        label: 'health',
        http: { method: 'GET', path: r.pick(['/healthz', '/readyz']), headers: {} },
        allowed: [{ status: 200 }],
      };
  }
}

function genJsonMalformed(c: Context): Case {
  const r = c.random;
  const target = pickTarget(c);
  const valid =
    target.mode === 'create'
      ? JSON.stringify(validGroupBody(c))
      : JSON.stringify({ name: 'x', policy_ids: ['a'] });
  const variant = r.pick([
    'truncated',
    'garbage',
    'mutated',
    'trailing-comma',
    'single-quotes',
    'literals',
    'comment',
    'bom',
    'empty',
    'duplicate-keys',
    'proto',
    'constructor',
    'escaped-proto',
    'bare-value',
    'concatenated',
    'whitespace',
  ] as const);
  let body: string;
  switch (variant) {
    case 'truncated':
      body = valid.slice(0, r.int(0, valid.length - 1));
      break;
    case 'garbage':
      body = Array.from({ length: r.int(1, 200) }, () => String.fromCharCode(r.int(32, 126))).join('');
      break;
    case 'mutated': {
      const chars = [...valid];
      for (let i = r.int(1, 4); i > 0; i--)
        chars[r.int(0, chars.length - 1)] = r.pick([
          '{',
          '}',
          '[',
          ']',
          '"',
          ',',
          ':',
          '\\',
          'x',
          ' ',
          '\u0000',
        ]);
      body = chars.join('');
      break;
    }
    case 'trailing-comma':
      body = valid.replace(/}$/, ',}');
      break;
    case 'single-quotes':
      body = valid.replaceAll('"', "'");
      break;
    case 'literals':
      body = valid.replace(
        /"version":"[^"]+"/,
        `"version":${r.pick(['NaN', 'Infinity', '-Infinity', 'undefined', '0x10', '.5', '1.', '+1', '01'])}`,
      );
      break;
    case 'comment':
      body = `/* hi */${valid}`;
      break;
    case 'bom':
      body = `\ufeff${valid}`;
      break;
    case 'empty':
      body = r.pick(['', ' ', '\n', '\t\r\n']);
      break;
    case 'duplicate-keys':
      body = valid.replace(/^{/, `{"name":${r.pick(['1', 'null', '"ok"', '[]'])},`);
      break;
    case 'proto':
      body = valid.replace(/^{/, `{"__proto__":{"polluted":1},`);
      break;
    case 'constructor':
      body = valid.replace(/^{/, `{"constructor":{"prototype":{"polluted":1}},`);
      break;
    case 'escaped-proto':
      body = valid.replace(/^{/, `{"\\u005f_proto__":{"polluted":1},`);
      break;
    case 'bare-value':
      body = r.pick(['null', 'true', '1', '"string"', '[]', '[{}]', '1e400', '-0']);
      break;
    case 'concatenated':
      body = `${valid}${valid}`;
      break;
    case 'whitespace':
      body = `\n\t ${valid} \r\n`;
      break;
  }
  return jsonCase(c, 'json-malformed', variant, body, target);
}

function genJsonDeep(c: Context): Case {
  const r = c.random;
  const depth = r.pick([1000, 10_000, 50_000, 100_000]);
  const arrays = r.chance(0.5);
  const deep = arrays
    ? '['.repeat(depth) + ']'.repeat(depth)
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const where = r.pick(['top', 'name', 'version_config', 'policy_ids', 'id', 'extra', 'entry'] as const);
  const target = pickTarget(c);
  let body: string;
  if (where === 'top') body = deep;
  else if (where === 'entry')
    body = `{"name":"deep","version_config":[{"target_environment":null,"version":${deep}}]}`;
  else {
    const base = withField(c, where, 0, target);
    body = base.replace(`"${where}":0`, `"${where}":${deep}`);
  }
  if (r.chance(0.1)) body = body.replace(/^\{/, '{"__proto__":1,');
  return jsonCase(
    c,
    'json-deep',
    `${depth} nested ${arrays ? 'arrays' : 'objects'} in ${where}`,
    body,
    target,
  );
}

const HUGE = [
  '1e400',
  '-1e400',
  '1e308',
  '9007199254740993',
  '18446744073709551616',
  '1e-400',
  '-0',
  '0.1e1',
  `1${'0'.repeat(400)}`,
  '4.9e-324',
];

function genHugeNumbers(c: Context): Case {
  const r = c.random;
  if (r.chance(0.5)) {
    const value = r.pick([
      ...HUGE,
      '1',
      '100',
      '101',
      '0',
      '-1',
      '1.5',
      'NaN',
      'Infinity',
      '0x10',
      '0b1',
      ' 7',
      '',
      '1e2',
    ]);
    const params: [string, string][] = [[r.pick(['page', 'per_page']), value]];
    const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    return {
      kind: 'huge-numbers',
      label: `list ?${query.slice(0, 60)}`,
      http: {
        method: 'GET',
        path: `${COLLECTION}?${query}`,
        headers: { authorization: `Bearer ${c.token}` },
      },
      allowed: queryOutcome(params),
    };
  }
  const target = pickTarget(c);
  const field = r.pick([
    'name',
    'version_config',
    'policy_ids',
    'id',
    'version',
    'target_environment',
  ] as const);
  const number = r.pick(HUGE);
  let body: string;
  if (field === 'version' || field === 'target_environment') {
    body = `{"name":"n","version_config":[{"target_environment":${field === 'target_environment' ? number : 'null'},"version":${field === 'version' ? number : '"2026.1.1.0"'}}]}`;
  } else {
    body = withField(c, field, 0, target).replace(`"${field}":0`, `"${field}":${number}`);
  }
  return jsonCase(c, 'huge-numbers', `${field}=${number.slice(0, 20)}`, body, target);
}

const WRONG_VALUES: unknown[] = [
  0,
  -1,
  1.5,
  true,
  false,
  null,
  '',
  'x',
  [],
  {},
  [1],
  [null],
  [[]],
  [{}],
  { a: 1 },
  ['a', 1],
  [true],
  [{ target_environment: 'windows' }],
  [{ version: '2026.1.1.0' }],
  [{ target_environment: 'linux', version: '2026.1.1.0' }],
  [{ target_environment: 'windows', version: '2026.13.1.0' }],
  [{ target_environment: 'windows', version: '26.1.1.0' }],
  [{ target_environment: 'windows', version: '2026.1.1.0', extra: 1 }],
  [
    { target_environment: null, version: '2026.1.1.0' },
    { target_environment: null, version: '2026.2.1.0' },
  ],
  ['ok', 'ok'],
  ['has space'],
  ['a'.repeat(37)],
  ['tab\t'],
  ['ünï'],
];

function genWrongTypes(c: Context): Case {
  const r = c.random;
  const target = pickTarget(c);
  const field = r.pick(FIELDS);
  const value = r.pick(WRONG_VALUES);
  let body = withField(c, field, value, target);
  if (r.chance(0.2))
    body = withField(c, r.pick(FIELDS), r.pick(WRONG_VALUES), { ...target, mode: 'update' }).replace(
      /}$/,
      `,${body.slice(1)}`,
    );
  return jsonCase(c, 'wrong-types', `${field}=${JSON.stringify(value).slice(0, 40)}`, body, target);
}

const UNICODE = [
  '\ud800',
  '\udfff',
  '\udc00\ud800',
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u202e',
  '\u200f',
  '\u200d',
  '\ufeff',
  '\u3000',
  '\u00a0',
  '\u2028',
  '\uffff',
  '\ufdd0',
  '\ue000',
  '🚀',
  '👩‍👩‍👧‍👦',
  '🇺🇳',
  'e\u0301',
  'ﷺ',
  '𝕏',
  'ß',
  'İ',
  ' ',
  '\t',
  '\n',
  '\r',
  'a',
  'ᚠ',
  '中',
  'עברית',
  'العربية',
  '\\',
  '"',
  '/',
  '\u061c',
  '\u180e',
];

function genUnicode(c: Context): Case {
  const r = c.random;
  const target = pickTarget(c);
  const variant = r.pick(['name', 'name-length', 'policy-id', 'raw-bytes', 'escapes'] as const);
  const piece = () => r.pick(UNICODE);
  switch (variant) {
    case 'name': {
      const name = Array.from({ length: r.int(1, 12) }, piece).join('');
      return jsonCase(
        c,
        'unicode',
        `name ${JSON.stringify(name)}`,
        withField(c, 'name', name, target),
        target,
      );
    }
    case 'name-length': {
      const unit = r.pick(['a', '🚀', 'e\u0301', '中', ' ', '\ud800']);
      const name = unit.repeat(r.pick([1, 127, 128, 254, 255, 256, 300]));
      return jsonCase(
        c,
        'unicode',
        `name ${codePoints(name)} code points of ${JSON.stringify(unit)}`,
        withField(c, 'name', name, target),
        target,
      );
    }
    case 'policy-id': {
      const id = Array.from({ length: r.int(1, 5) }, piece).join('');
      return jsonCase(
        c,
        'unicode',
        `policy id ${JSON.stringify(id)}`,
        withField(c, 'policy_ids', [id], target),
        target,
      );
    }
    case 'raw-bytes': {
      // Bytes that are not valid UTF-8, unescaped inside a JSON string.
      const bytes = r.pick([
        [0xff],
        [0xc0, 0xaf],
        [0xed, 0xa0, 0x80],
        [0xf4, 0x90, 0x80, 0x80],
        [0xe2, 0x82],
        [0x80],
      ]);
      const base = Buffer.from(withField(c, 'name', 'XX', target));
      const at = base.indexOf('XX');
      const body = Buffer.concat([base.subarray(0, at), Buffer.from(bytes), base.subarray(at + 2)]);
      return jsonCase(c, 'unicode', `raw bytes ${Buffer.from(bytes).toString('hex')} in name`, body, target);
    }
    case 'escapes': {
      const sequence = r.pick([
        '\\ud800',
        '\\udfff',
        '\\u0000',
        '\\uD83D\\uDE80',
        '\\uDE80\\uD83D',
        '\\u202e',
        '\\x41',
        '\\u12',
        '\\U0001F680',
      ]);
      const body = withField(c, 'name', 'XX', target).replace('XX', sequence);
      return jsonCase(c, 'unicode', `escape ${sequence} in name`, body, target);
    }
  }
}

/** A raw request with the admin's token, for header games no well-behaved client can play. */
function rawHead(method: string, path: string, headers: [string, string][], body?: Buffer | string): Buffer {
  const all: [string, string][] = [['Host', '127.0.0.1'], ...headers, ['Connection', 'close']];
  const head = `${method} ${path} HTTP/1.1\r\n${all.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body ?? '')]);
}

function genOddHeaders(c: Context): Case {
  const r = c.random;
  const bearer = `Bearer ${c.token}`;
  const body = JSON.stringify(validGroupBody(c));
  const len = String(Buffer.byteLength(body));
  const raw = (label: string, data: Buffer, allowed: Outcome[], extra: Partial<Case> = {}): Case => ({
    kind: 'odd-headers',
    label,
    raw: { data },
    allowed,
    ...extra,
  });
  switch (r.int(0, 15)) {
    case 0:
      return raw(
        'duplicate Authorization, valid first',
        rawHead('GET', COLLECTION, [
          ['Authorization', bearer],
          ['Authorization', 'Bearer nope'],
        ]),
        // docs/contract.md §6: the same credential header twice.
        [{ status: 400, code: 6003 }],
      );
    case 1:
      return raw(
        'duplicate Authorization, unknown first',
        rawHead('GET', COLLECTION, [
          ['Authorization', 'Bearer nope'],
          ['Authorization', bearer],
        ]),
        [{ status: 400, code: 6003 }],
      );
    case 2: {
      const type = r.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        'application/json-patch+json',
        'text/json',
        'application/xml',
        '*/*',
        'json',
      ]);
      return raw(
        `Content-Type ${type}`,
        rawHead(
          'POST',
          COLLECTION,
          [
            ['Authorization', bearer],
            ['Content-Type', type],
            ['Content-Length', len],
          ],
          body,
        ),
        [{ status: 415, code: 2006 }],
      );
    }
    case 3:
      return raw(
        'no Content-Type on POST',
        rawHead(
          'POST',
          COLLECTION,
          [
            ['Authorization', bearer],
            ['Content-Length', len],
          ],
          body,
        ),
        [{ status: 415, code: 2006 }],
      );
    case 4: {
      const type = r.pick([
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'application/json;charset=UTF-8',
        'Application/Json ; x=y',
      ]);
      return raw(
        `Content-Type ${type}`,
        rawHead(
          'POST',
          COLLECTION,
          [
            ['Authorization', bearer],
            ['Content-Type', type],
            ['Content-Length', len],
          ],
          body,
        ),
        [{ status: 200 }],
      );
    }
    case 5: {
      // Content-Length shorter than the body: the body is cut, the rest is read as the next request.
      const short = r.int(1, body.length - 1);
      // When the rest arrives with the request, the malformed "next request" may be answered (2013, and the
      // connection closed) before the first one is.
      const cut = bodyOutcome(
        { mode: 'create', method: 'POST', path: COLLECTION, exists: false },
        Buffer.from(body.slice(0, short)),
      );
      const data = rawHead(
        'POST',
        COLLECTION,
        [
          ['Authorization', bearer],
          ['Content-Type', 'application/json'],
          ['Content-Length', String(short)],
        ],
        body,
      );
      return raw(`Content-Length ${short} < ${body.length}`, data, [...cut, { status: 400, code: 2013 }], {
        following: [{ status: 400, code: 2013 }],
      });
    }
    case 6: {
      // Content-Length longer than the body, then the client stops: no answer is owed, but no 5xx either.
      const data = rawHead(
        'POST',
        COLLECTION,
        [
          ['Authorization', bearer],
          ['Content-Type', 'application/json'],
          ['Content-Length', String(body.length + r.int(1, 100))],
        ],
        body,
      );
      return {
        ...raw('Content-Length > body, then EOF', data, [
          { status: 400, code: 2013 },
          { status: 400, code: 2003 },
        ]),
        raw: { data, endAfterMs: 20 },
        mayNotAnswer: true,
      };
    }
    case 7: {
      const chunked = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      return raw(
        'chunked body',
        rawHead(
          'POST',
          COLLECTION,
          [
            ['Authorization', bearer],
            ['Content-Type', 'application/json'],
            ['Transfer-Encoding', 'chunked'],
          ],
          chunked,
        ),
        [{ status: 200 }],
      );
    }
    case 8:
      return raw(
        'Content-Length and Transfer-Encoding',
        rawHead(
          'POST',
          COLLECTION,
          [
            ['Authorization', bearer],
            ['Content-Type', 'application/json'],
            ['Content-Length', len],
            ['Transfer-Encoding', 'chunked'],
          ],
          body,
        ),
        [{ status: 400, code: 2013 }],
      );
    case 9:
      return raw(
        'bad chunk size',
        rawHead(
          'POST',
          COLLECTION,
          [
            ['Authorization', bearer],
            ['Content-Type', 'application/json'],
            ['Transfer-Encoding', 'chunked'],
          ],
          `zz\r\n${body}\r\n0\r\n\r\n`,
        ),
        [{ status: 400, code: 2013 }],
      );
    case 10: {
      const value = r.pick([
        'abc',
        '-1',
        '1.5',
        '1e3',
        ' ',
        '99999999999999999999',
        '0x10',
        `${len}, ${len}`,
      ]);
      return raw(
        `Content-Length ${value}`,
        rawHead(
          'POST',
          COLLECTION,
          [
            ['Authorization', bearer],
            ['Content-Type', 'application/json'],
            ['Content-Length', value],
          ],
          body,
        ),
        [
          { status: 400, code: 2013 },
          { status: 413, code: 2005 },
        ],
      );
    }
    case 11:
      return raw(
        'Expect: 100-continue',
        rawHead(
          'POST',
          COLLECTION,
          [
            ['Authorization', bearer],
            ['Content-Type', 'application/json'],
            ['Content-Length', len],
            ['Expect', '100-continue'],
          ],
          body,
        ),
        [{ status: 200 }],
      );
    case 12: {
      const many: [string, string][] = Array.from({ length: r.int(50, 300) }, (_, i) => [
        `X-Fuzz-${i}`,
        'v'.repeat(r.int(0, 30)),
      ]);
      return raw(
        `${many.length} extra headers`,
        rawHead('GET', COLLECTION, [['Authorization', bearer], ...many]),
        [{ status: 200 }],
      );
    }
    case 13: {
      const bad = r.pick([
        'X-Ctl: a\u0001b',
        'X Space: v',
        'X-Nul: \u0000',
        ': empty-name',
        'X-Bare-CR: a\rb',
        'Authorization: Bearer a\u007fb',
      ]);
      return raw(
        `invalid header ${JSON.stringify(bad)}`,
        Buffer.from(`GET ${COLLECTION} HTTP/1.1\r\nHost: x\r\n${bad}\r\n\r\n`, 'latin1'),
        [{ status: 400, code: 2013 }],
      );
    }
    case 14: {
      const latin = Buffer.from(
        `GET ${COLLECTION} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00e9\u00ff${c.token.slice(0, 10)}\r\nConnection: close\r\n\r\n`,
        'latin1',
      );
      return raw('non-ASCII bytes in Authorization', latin, [{ status: 400, code: 6003 }]);
    }
    default:
      return raw(
        'Content-Encoding gzip on a plain body',
        rawHead(
          'POST',
          COLLECTION,
          [
            ['Authorization', bearer],
            ['Content-Type', 'application/json'],
            ['Content-Length', len],
            ['Content-Encoding', 'gzip'],
          ],
          body,
        ),
        [{ status: 200 }, { status: 415, code: 2006 }, { status: 400, code: 2003 }],
      );
  }
}

function genAuth(c: Context): Case {
  const r = c.random;
  const verifyRoute = r.chance(0.3);
  const path = verifyRoute ? VERIFY : r.chance(0.5) ? COLLECTION : `${COLLECTION}/${r.pick(c.stable)}`;
  const randomSecret = (n: number) =>
    Array.from({ length: n }, () =>
      r.pick([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-']),
    ).join('');
  const printable = (n: number) =>
    Array.from({ length: n }, () => String.fromCharCode(r.int(0x20, 0x7e))).join('');
  const headers: { authorization?: string; key?: string; email?: string } = {};
  const variant = r.int(0, 11);
  switch (variant) {
    case 0:
      headers.authorization = `Bearer rmt_${randomSecret(43)}`;
      break;
    case 1:
      headers.authorization = `Bearer ${randomSecret(r.pick([1, 511, 512, 513, 2000]))}`;
      break;
    case 2:
      headers.authorization = printable(r.int(0, 80));
      break;
    case 3:
      headers.authorization = `${r.pick(['Bearer', 'bearer', 'BEARER', 'Basic', 'Token', 'Bearer:', ''])}${r.pick([' ', '  ', '\t', ''])}${r.pick([c.token, randomSecret(20)])}${r.pick(['', ' ', ' x', '\t'])}`;
      break;
    case 4:
      headers.authorization = `Bearer ${c.token.slice(0, -1)}${r.pick(['A', 'b', '_'])}`;
      break;
    case 5:
      headers.key = `rmk_${randomSecret(43)}`;
      headers.email = r.pick(['ops@example.com', 'x@y', '', ' ']);
      break;
    case 6:
      headers.key = printable(r.int(0, 60));
      headers.email = 'ops@example.com';
      break;
    case 7:
      if (r.chance(0.5)) headers.key = `rmk_${randomSecret(43)}`;
      else headers.email = 'ops@example.com';
      break;
    case 8:
      headers.key = c.token;
      headers.email = 'ops@example.com';
      break;
    case 9:
      headers.authorization = `Bearer ${c.token}`;
      headers.key = `rmk_${randomSecret(43)}`;
      headers.email = 'ops@example.com';
      break;
    case 10:
      break;
    default:
      headers.authorization = `Bearer ${'A'.repeat(r.pick([4096, 12_000]))}`;
  }
  const sent: Record<string, string> = {};
  if (headers.authorization !== undefined) sent.authorization = headers.authorization;
  if (headers.key !== undefined) sent['x-auth-key'] = headers.key;
  if (headers.email !== undefined) sent['x-auth-email'] = headers.email;
  const outcome = authOutcome(headers, new Set([c.token]), verifyRoute);
  return {
    kind: 'auth',
    label: `auth variant ${variant} on ${verifyRoute ? 'verify' : 'groups'}: ${JSON.stringify(sent).slice(0, 100)}`,
    http: { method: 'GET', path, headers: sent },
    allowed: outcome === 'pass' ? [{ status: 200 }] : [outcome],
  };
}

function genLongPaths(c: Context): Case {
  const r = c.random;
  const auth = { authorization: `Bearer ${c.token}` };
  const long = (n: number) =>
    Array.from({ length: n }, () => r.pick([...'abcdefghijklmnopqrstuvwxyz0123456789-_.~%'])).join('');
  const notFound = [{ status: 404, code: 7003 }];
  const choose = r.int(0, 9);
  let path: string;
  let allowed: Outcome[];
  switch (choose) {
    case 0:
      path = `/client/v4/${long(r.pick([100, 1000, 8000, 15_000]))}`;
      allowed = notFound;
      break;
    case 1:
      path = `/client/v4/${long(r.int(17_000, 40_000))}`;
      allowed = [{ status: 431, code: 2012 }];
      break;
    case 2: {
      const id = long(r.pick([36, 37, 99, 100]));
      path = `${COLLECTION}/${id.replaceAll('%', 'p')}`;
      allowed = [{ status: 404, code: 2002 }];
      break;
    }
    case 3:
      path = `${COLLECTION}/${'a'.repeat(r.int(101, 5000))}`;
      allowed = notFound;
      break;
    case 4:
      path = `/client/v4/accounts/${r.pick([ACCOUNT.toUpperCase(), ACCOUNT.slice(1), `${ACCOUNT}0`, 'x'.repeat(32), '%3g'.repeat(11), ''])}/devices/deployment-groups`;
      allowed = notFound;
      break;
    case 5:
      path = r.pick([
        `/client/v4/accounts/../accounts/${ACCOUNT}/devices/deployment-groups`,
        `/client/v4/accounts/${ACCOUNT}/devices/deployment-groups/..`,
        `/client/v4/accounts/${ACCOUNT}/devices/%2e%2e/deployment-groups`,
        `//client/v4/accounts/${ACCOUNT}/devices/deployment-groups`,
        `/client/v4/accounts/${ACCOUNT}//devices/deployment-groups`,
        `/client/v4/accounts/${ACCOUNT}/devices/deployment-groups%2f${uuid(r)}`,
        `/CLIENT/V4/accounts/${ACCOUNT}/devices/deployment-groups`,
        '/client/v4/%',
        '/client/v4/%zz',
        '/client/v4/%E0%A4%A',
        '/client/v4/%00',
        '/client/v4/%ff%fe',
        '/client/v4/accounts/%F0%9F%9A%80/devices/deployment-groups',
        '/client/v4/accounts/\u00e9/devices/deployment-groups',
        `${COLLECTION}/`,
        `${COLLECTION}/${uuid(r)}/`,
        `${COLLECTION}/${uuid(r)}/extra`,
        `${COLLECTION};x=1`,
        '/client/v4',
        '/client/v4/',
        '/client',
        `/client/v4/accounts/${ACCOUNT}`,
      ]);
      // Some of these name a group that is not there rather than no route at all; a raw non-ASCII byte
      // in the request line is not HTTP at all.
      allowed = [...notFound, { status: 404, code: 2002 }, { status: 400, code: 2013 }];
      break;
    case 6:
      path = `${COLLECTION}?${long(r.int(1000, 12_000))}`;
      allowed = [{ status: 200 }];
      break;
    case 7:
      path = `${COLLECTION}?${long(r.int(17_000, 30_000))}`;
      allowed = [{ status: 431, code: 2012 }];
      break;
    case 8:
      path = `/${long(r.int(1, 2000))}`.replace(/^\/(healthz|readyz|metrics)/, '/x');
      allowed = notFound;
      break;
    default:
      path = `${COLLECTION}/${uuid(r)}${'/x'.repeat(r.int(1, 3000))}`;
      allowed = notFound;
  }
  // The raw request line carries the path exactly as generated (fetch-like clients would normalise it).
  return {
    kind: 'long-paths',
    label: `${path.length}-char path ${JSON.stringify(path.slice(0, 70))}`,
    raw: {
      data: Buffer.from(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.authorization}\r\nConnection: close\r\n\r\n`,
        'latin1',
      ),
    },
    allowed,
  };
}

function genQueryStrings(c: Context): Case {
  const r = c.random;
  const params: [string, string][] = [];
  for (let i = r.int(0, 6); i > 0; i--) {
    const key = r.pick([
      'page',
      'per_page',
      'page[]',
      'per_page[0]',
      '__proto__',
      'constructor',
      'name',
      '',
      'a'.repeat(r.int(1, 500)),
      'PAGE',
      'x',
    ]);
    const value = r.pick([
      '1',
      '2',
      '50',
      '100',
      '101',
      '0',
      '-1',
      '',
      '1.0',
      '1e1',
      'abc',
      'true',
      '[]',
      '%',
      '\u00e9',
      '🚀',
      'null',
      '1'.repeat(r.int(1, 50)),
    ]);
    params.push([key, value]);
  }
  const separator = r.pick(['&', '&&', ';']);
  const encode = (s: string) =>
    r.chance(0.8) ? encodeURIComponent(s) : s.replace(/[^!-~]/gu, (ch) => encodeURIComponent(ch));
  const query = params.map(([k, v]) => `${encode(k)}=${encode(v)}`).join(separator);
  // With ';' the whole string is one parameter named by its first key.
  const effective: [string, string][] = separator === ';' && params.length > 1 ? [] : params;
  const hasRawPercent = query.split(/[&;=]/).some((part) => /%(?![0-9A-Fa-f]{2})/.test(part));
  return {
    kind: 'query-strings',
    label: `?${query.slice(0, 80)}`,
    http: { method: 'GET', path: `${COLLECTION}?${query}`, headers: { authorization: `Bearer ${c.token}` } },
    allowed:
      hasRawPercent || separator === ';'
        ? [{ status: 200 }, { status: 400, code: 2001 }]
        : queryOutcome(effective),
  };
}

function genWrongMethods(c: Context): Case {
  const r = c.random;
  // The item route names a group that does not exist, so that a DELETE cannot remove a fuzz target.
  const routes = [
    { path: COLLECTION, served: ['GET', 'HEAD', 'POST'], found: true },
    { path: `${COLLECTION}/${uuid(r)}`, served: ['GET', 'HEAD', 'PATCH', 'DELETE'], found: false },
    { path: VERIFY, served: ['GET', 'HEAD'], found: true },
  ];
  const route = r.pick(routes);
  const fastifyMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  const method = r.pick([
    'PUT',
    'OPTIONS',
    'PATCH',
    'POST',
    'DELETE',
    'HEAD',
    'GET',
    'TRACE',
    'PROPFIND',
    'MKCOL',
    'LOCK',
    'PURGE',
    'SEARCH',
    'REPORT',
    'get',
    'GETT',
    'G\u00c9T',
    'BREW',
    '',
  ]);
  const data = Buffer.from(
    `${method} ${route.path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.token}\r\nConnection: close\r\n\r\n`,
    'latin1',
  );
  let allowed: Outcome[];
  if (fastifyMethods.includes(method) && !route.served.includes(method))
    allowed = [{ status: 405, code: 2010 }];
  else if (method === 'POST' || method === 'PATCH')
    allowed = [{ status: 415, code: 2006 }]; // served, but no JSON body
  else if (fastifyMethods.includes(method))
    allowed = route.found ? [{ status: 200 }] : [{ status: 404, code: 2002 }];
  else if (['TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'PURGE', 'SEARCH', 'REPORT'].includes(method)) {
    allowed = [
      { status: 404, code: 7003 },
      { status: 405, code: 2010 },
    ];
  } else allowed = [{ status: 400, code: 2013 }];
  return {
    kind: 'wrong-methods',
    label: `${JSON.stringify(method)} ${route.path.slice(-40)}`,
    raw: { data, head: method === 'HEAD' },
    allowed,
  };
}

const ANY_CLIENT_ERROR: Outcome[] = [400, 401, 403, 404, 405, 408, 411, 413, 414, 415, 431].map((status) => ({
  status,
}));

function genRandomBytes(c: Context): Case {
  const r = c.random;
  const bytes = r.bytes(r.int(1, 2000));
  const prefix = r.pick([
    '',
    '',
    'GET ',
    `POST ${COLLECTION} HTTP/1.1\r\n`,
    'GET /nowhere HTTP/1.1\r\nHost: x\r\n',
    'HTTP/1.1 200 OK\r\n',
  ]);
  return {
    kind: 'random-bytes',
    label: `${JSON.stringify(prefix)} + ${bytes.length} random bytes`,
    raw: { data: Buffer.concat([Buffer.from(prefix), bytes]), endAfterMs: 20 },
    // After a valid start, random bytes may complete a request (any 4xx envelope will do) or leave one
    // unfinished when the client stops (no answer owed).
    allowed: ANY_CLIENT_ERROR,
    mayNotAnswer: true,
    following: ANY_CLIENT_ERROR,
  };
}

function genPipelined(c: Context): Case {
  const r = c.random;
  const n = r.int(2, 10);
  const requests = Array.from({ length: n }, () =>
    r.chance(0.5)
      ? `GET ${COLLECTION}?per_page=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.token}\r\n\r\n`
      : `GET ${COLLECTION}/${uuid(r)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.token}\r\n\r\n`,
  );
  requests.push(`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  return {
    kind: 'pipelined',
    label: `${n + 1} pipelined requests`,
    raw: { data: Buffer.from(requests.join('')) },
    allowed: [{ status: 200 }, { status: 404, code: 2002 }],
    following: [{ status: 200 }, { status: 404, code: 2002 }],
  };
}

function genBodySize(c: Context): Case {
  const r = c.random;
  const size = MIB + r.int(1, 4096);
  const target = pickTarget(c);
  const body = Buffer.from(JSON.stringify({ name: 'big', id: 'x'.repeat(size) }));
  return {
    kind: 'body-size',
    label: `${body.length}-byte body`,
    http: {
      method: target.method,
      path: target.path,
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
      body,
    },
    allowed: [{ status: 413, code: 2005 }],
  };
}

const GENERATORS: Record<Kind, (c: Context) => Case> = {
  valid: genValid,
  'json-malformed': genJsonMalformed,
  'json-deep': genJsonDeep,
  'huge-numbers': genHugeNumbers,
  'wrong-types': genWrongTypes,
  unicode: genUnicode,
  'odd-headers': genOddHeaders,
  auth: genAuth,
  'long-paths': genLongPaths,
  'query-strings': genQueryStrings,
  'wrong-methods': genWrongMethods,
  'random-bytes': genRandomBytes,
  pipelined: genPipelined,
  'body-size': genBodySize,
};

// ---------------------------------------------------------------------------------------------------
// Checking one answer

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The invariants every answer must meet; returns the violation, if any. */
function checkAnswer(answer: Answer, allowed: Outcome[], head: boolean): string | undefined {
  if (answer.status >= 500) return `5xx: ${answer.status} ${answer.body.slice(0, 200)}`;
  if (!CF_RAY.test(String(answer.headers['cf-ray']))) return `no cf-ray (${answer.status})`;
  if (!/^application\/json/.test(String(answer.headers['content-type'])))
    return `content-type ${answer.headers['content-type']}`;
  let code: number | undefined;
  if (!head) {
    let body: any;
    try {
      body = JSON.parse(answer.body);
    } catch {
      return `body is not JSON: ${answer.body.slice(0, 100)}`;
    }
    if (answer.status >= 400) {
      if (
        body.success !== false ||
        body.result !== null ||
        !Array.isArray(body.messages) ||
        body.messages.length > 0
      ) {
        return `not the failure envelope: ${answer.body.slice(0, 200)}`;
      }
      if (!Array.isArray(body.errors) || body.errors.length === 0) return 'no errors in the envelope';
      for (const error of body.errors) {
        if (!Number.isInteger(error.code) || typeof error.message !== 'string')
          return `bad error object ${JSON.stringify(error)}`;
        if (
          error.code === 2001 &&
          error.source?.pointer === undefined &&
          error.source?.parameter === undefined
        ) {
          return `2001 without source: ${JSON.stringify(error)}`;
        }
      }
      code = body.errors[0].code;
      const retry = answer.headers['x-should-retry'];
      const retryable = answer.status === 408 || answer.status === 429;
      if (retryable ? retry !== undefined : retry !== 'false')
        return `x-should-retry ${retry} on ${answer.status}`;
    } else if (answer.status === 200 && body.success === false) {
      return 'a 200 with success: false';
    }
  }
  const ok = allowed.some(
    (o) => o.status === answer.status && (o.code === undefined || head || o.code === code),
  );
  if (!ok)
    return `got ${answer.status}${code === undefined ? '' : ` ${code}`}, expected ${allowed.map((o) => `${o.status}${o.code ? ` ${o.code}` : ''}`).join(' or ')}: ${answer.body.slice(0, 300)}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// The run

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Server {
  child: ChildProcess;
  port: number;
  token: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** The real CLI server at LOG_LEVEL=warn (per-request lines would only cost time): warnings and errors only. */
async function startQuietServer(file: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `sqlite:${file}`,
      LOG_LEVEL: 'warn',
      // The fuzzer fails authentication on purpose, tens of thousands of times.
      AUTH_FAILURE_LIMIT: '999999999/1h',
      RATE_LIMIT: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
    const token = /(rmt_[A-Za-z0-9_-]+)/.exec(output)?.[1];
    if (token) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.status === 200) return { child, port, token, output: () => output, exited };
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) throw new Error(`server did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function sendHttp(agent: http.Agent, port: number, request: NonNullable<Case['http']>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: request.method,
        path: request.path,
        headers: request.headers,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', done);
        res.on('error', done);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    // A server may answer early (413) and close while the body is still being written: the answer counts.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(request.body);
  });
}

export async function runFuzz({
  requests,
  seed,
  concurrency = 16,
  maxFailures = 20,
  log = () => {},
}: FuzzOptions): Promise<FuzzSummary> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'ringmaster-fuzz-'));
  const server = await startQuietServer(join(dir, 'fuzz.db'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const summary: FuzzSummary = {
    seed,
    requests: 0,
    byKind: {},
    msByKind: {},
    byStatus: {},
    failures: [],
    healthChecks: 0,
    seconds: 0,
  };
  const context: Context = {
    random: new Random(seed),
    token: server.token,
    stable: [],
    created: [],
    counter: 0,
  };
  let died: string | undefined;
  server.exited.then((code) => {
    died = `the server exited (code ${code})`;
  });

  try {
    for (let i = 0; i < 20; i++) {
      const body = JSON.stringify(validGroupBody(context, { policy_ids: [`stable-${i}`] }));
      const answer = await sendHttp(agent, server.port, {
        method: 'POST',
        path: COLLECTION,
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: Buffer.from(body),
      });
      assert.equal(answer.status, 200, answer.body);
      context.stable.push(JSON.parse(answer.body).result.id);
    }

    let next = 0;
    const fail = (c: Case, problem: string) => {
      summary.failures.push(`[${c.kind}] ${c.label}\n    → ${problem}`);
    };
    const record = (status: string) => {
      summary.byStatus[status] = (summary.byStatus[status] ?? 0) + 1;
    };
    const worker = async () => {
      while (next < requests && summary.failures.length < maxFailures && died === undefined) {
        const index = next++;
        const c = GENERATORS[context.random.weighted(KINDS)](context);
        summary.byKind[c.kind] = (summary.byKind[c.kind] ?? 0) + 1;
        summary.requests++;
        const sent = Date.now();
        try {
          if (c.http) {
            const answer = await sendHttp(agent, server.port, c.http);
            record(statusKey(answer));
            const problem = checkAnswer(answer, c.allowed, c.http.method === 'HEAD');
            if (problem) fail(c, problem);
            else if (answer.status === 200) c.onSuccess?.(JSON.parse(answer.body));
          } else if (c.raw) {
            const exchange = await rawExchange(server.port, c.raw.data, {
              endAfterMs: c.raw.endAfterMs,
              timeoutMs: 15_000,
              headRequests: [c.raw.head ?? false],
            });
            const responses = exchange.responses.filter((response: RawResponse) => response.status >= 200);
            if (responses.length === 0) {
              record('no answer');
              if (!c.mayNotAnswer)
                fail(
                  c,
                  `no answer (${exchange.error ?? (exchange.closedByServer ? 'closed' : 'timed out')}) ${exchange.rest.slice(0, 100)}`,
                );
            }
            responses.forEach((response: RawResponse, n: number) => {
              record(statusKey(response));
              const problem = checkAnswer(
                response,
                n === 0 ? c.allowed : (c.following ?? []),
                n === 0 && (c.raw?.head ?? false),
              );
              if (problem) fail(c, `${n === 0 ? '' : `answer ${n + 1}: `}${problem}`);
            });
            if (!exchange.closedByServer) fail(c, 'the server kept a broken connection open for 15 s');
          }
        } catch (error) {
          fail(c, `request failed: ${(error as Error).message}`);
        }
        summary.msByKind[c.kind] = (summary.msByKind[c.kind] ?? 0) + Date.now() - sent;
        if (index % 500 === 499) {
          const health = await fetch(`http://127.0.0.1:${server.port}/healthz`).catch((e: Error) => e);
          summary.healthChecks++;
          if (health instanceof Error || health.status !== 200) {
            summary.failures.push(
              `/healthz after ${index + 1} requests: ${health instanceof Error ? health.message : health.status}`,
            );
          }
        }
        if (index % 10_000 === 9_999) log(`${index + 1} requests, ${summary.failures.length} violations`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));

    if (died) summary.failures.push(died);
    else {
      // Still up and still working: healthy, ready, and a normal write round-trips.
      for (const path of ['/healthz', '/readyz']) {
        const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
        if (response.status !== 200) summary.failures.push(`${path} at the end: ${response.status}`);
      }
      const created = await sendHttp(agent, server.port, {
        method: 'POST',
        path: COLLECTION,
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify(validGroupBody(context))),
      });
      if (created.status !== 200) summary.failures.push(`a normal create at the end: ${created.status}`);
    }
  } finally {
    agent.destroy();
    if (server.child.exitCode === null) server.child.kill('SIGTERM');
    const code = await server.exited;
    if (died === undefined && code !== 0) summary.failures.push(`the server exited ${code} on SIGTERM`);
    // The server logs every 5xx and every crash at level 50 (error) or above.
    for (const line of server.output().split('\n')) {
      if (/"level":(5\d|60)/.test(line) || /Error|error:/.test(line.startsWith('{') ? '' : line)) {
        summary.failures.push(`server log: ${line.slice(0, 300)}`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

function statusKey(answer: { status: number; body: string }): string {
  if (answer.status < 400) return String(answer.status);
  if (answer.body === '') return `${answer.status} (HEAD, no body)`;
  try {
    return `${answer.status} ${JSON.parse(answer.body).errors[0].code}`;
  } catch {
    return `${answer.status} (not the envelope)`;
  }
}

/** The summary as the lines the script and the test print. */
export function formatSummary(summary: FuzzSummary): string {
  const table = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([, a], [, b]) => b - a)
      .map(([key, n]) => `    ${key.padEnd(22)} ${String(n).padStart(7)}`)
      .join('\n');
  return [
    `${summary.requests} requests in ${summary.seconds.toFixed(1)} s (seed ${summary.seed}), ${summary.healthChecks} health checks`,
    '  requests by kind:',
    table(summary.byKind),
    '  answers by status and code:',
    table(summary.byStatus),
    `  violations: ${summary.failures.length}`,
    ...summary.failures.map((f) => `  ✗ ${f}`),
  ].join('\n');
}
