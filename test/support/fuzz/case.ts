// One generated request and what may come back for it, and the small builders the generators share.
import { ACCOUNT } from '../accounts.ts';
import type { Random } from '../random.ts';
import { rawRequest } from '../raw-http.ts';
import type { Expectations } from './answer.ts';
import { bodyVerdict, type Outcome, type Target, type Verdict } from './oracle.ts';
import type { KnownRollout } from './rollout-oracle.ts';

export const COLLECTION = `/client/v4/accounts/${ACCOUNT}/devices/deployment-groups`;
export const VERIFY = '/client/v4/user/tokens/verify';
/** What the presented credential may do on ACCOUNT (docs/contract.md §8.0). */
export const ACCESS = `/ringmaster/v1/accounts/${ACCOUNT}/access`;

export interface Case extends Verdict, Expectations {
  kind: string;
  /** A short description for the failure report. */
  label: string;
  http?: { method: string; path: string; headers: Record<string, string | string[]>; body?: Buffer };
  /** Raw: the bytes, or parts written 5 ms apart (`stopOnAnswer`: no more once the server has answered). */
  raw?: { data: Buffer | Buffer[]; endAfterMs?: number; head?: boolean; stopOnAnswer?: boolean };
  /** Raw only: the server may close without answering (the client broke off mid-request). */
  mayNotAnswer?: boolean;
  /** Raw only: outcomes allowed for answers after the first (pipelined or left-over bytes). */
  following?: Outcome[];
  /** Called with the parsed body of a 200, e.g. to remember a created group. */
  onSuccess?: (body: any) => void;
  /** Called with every HTTP answer's status and parsed body (undefined if none), e.g. to release a rollout. */
  onAnswer?: (status: number, body: any) => void;
  /** What is wrong with the parsed body of an allowed failure, if anything (e.g. a 409's meta). */
  inspectFailure?: (body: any) => string | undefined;
  /** What is wrong with the parsed body of a 200, if anything (e.g. another account's data in it). */
  inspect?: (body: any) => string | undefined;
}

/** What the generators draw on. */
export interface Context {
  random: Random;
  token: string;
  /** Groups made at start-up, never deleted: targets for PATCH and GET. */
  stable: string[];
  /** Groups created by `valid` requests: targets for DELETE. */
  created: string[];
  /** Groups deleted by `valid` requests: their history stays (§8.3), and a revert may restore them. */
  deleted: string[];
  /** Groups of another account (OTHER_ACCOUNT): never to be seen through ACCOUNT. */
  others: string[];
  /** Groups only previews and reads ever name: they must never change (a preview writes nothing). */
  frozen: string[];
  /** Groups only rollouts name as rings (docs/contract.md §8.5). */
  rings: string[];
  /** Rollouts of ACCOUNT the fuzzer created, and what it knows of each. */
  rollouts: Map<string, KnownRollout>;
  /** Rollouts of another account (OTHER_ACCOUNT): never to be seen or touched through ACCOUNT. */
  otherRollouts: string[];
  /** Version 2 audit-log cursors from earlier answers. */
  cursors: string[];
  counter: number;
}

/** A generator: one case of its kind, drawn at random. */
export type Generator = (c: Context) => Case;

export const uuid = (r: Random) =>
  [8, 4, 4, 4, 12]
    .map((n) => Array.from({ length: n }, () => r.pick([...'0123456789abcdef'])).join(''))
    .join('-');

export const validGroupBody = (c: Context, extra: Record<string, unknown> = {}) => ({
  name: `fuzz ${++c.counter}`,
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  ...extra,
});

export const bearer = (c: Context) => `Bearer ${c.token}`;

/** A create, a PATCH on a group that exists, or a PATCH on one that does not. */
export function pickTarget(c: Context): Target {
  const roll = c.random.next();
  if (roll < 0.35) return { mode: 'create', method: 'POST', path: COLLECTION, exists: false };
  if (roll < 0.7) {
    return {
      mode: 'update',
      method: 'PATCH',
      path: `${COLLECTION}/${c.random.pick(c.stable)}`,
      exists: true,
    };
  }
  return { mode: 'update', method: 'PATCH', path: `${COLLECTION}/${uuid(c.random)}`, exists: false };
}

/** A valid body for the target in which one field's value is replaced, as JSON text. */
export function withField(c: Context, field: string, value: unknown, target: Target): string {
  const base: Record<string, unknown> = target.mode === 'create' ? validGroupBody(c) : {};
  base[field] = value;
  return JSON.stringify(base);
}

/** A JSON write through the HTTP client; the oracle judges the body. */
export function jsonCase(
  c: Context,
  kind: string,
  label: string,
  body: Buffer | string,
  target = pickTarget(c),
  expectations: Expectations = {},
): Case {
  const bytes = Buffer.from(body);
  return {
    kind,
    label: `${target.method} ${label}`,
    http: {
      method: target.method,
      path: target.path,
      headers: { authorization: bearer(c), 'content-type': 'application/json' },
      body: bytes,
    },
    ...bodyVerdict(target, bytes),
    ...expectations,
  };
}

/**
 * A raw request on its own connection (closed after the answer), for what no well-behaved client sends.
 * `Content-Length` is computed from the body unless given (`null` omits it).
 */
export function rawBytes(
  method: string,
  path: string,
  headers: [string, string][],
  body?: Buffer | string,
  contentLength?: number | string | null,
): Buffer {
  return rawRequest({ method, path, headers: [...headers, ['Connection', 'close']], body, contentLength });
}

/** A raw case with the verdict's outcomes. */
export function rawCase(
  kind: string,
  label: string,
  data: Buffer,
  verdict: Verdict,
  extra: Partial<Case> = {},
): Case {
  return { kind, label, raw: { data }, ...verdict, ...extra };
}

/** Picks one row of a table and makes its case; a row may decline (undefined), and another is drawn. */
export function fromTable<Row>(c: Context, rows: readonly Row[], make: (row: Row) => Case | undefined): Case {
  for (;;) {
    const made = make(c.random.pick(rows));
    if (made) return made;
  }
}

/** `n` random characters from `alphabet`. */
export const randomText = (r: Random, n: number, alphabet: string) =>
  Array.from({ length: n }, () => r.pick([...alphabet])).join('');

/** The characters of a secret's random part (base64url). */
export const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** A secret shaped like a real one, which the server never issued: the prefix and 43 random characters. */
export const randomSecret = (r: Random, prefix: 'rmt_' | 'rmk_') =>
  prefix + randomText(r, 43, SECRET_ALPHABET);
