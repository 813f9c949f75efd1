// Conditional requests and Idempotency-Key (docs/contract.md §8.1), as HTTP sees them: entity tags,
// If-Match / If-None-Match, and the key header. Whether a condition holds is decided by the store,
// inside the write's transaction (deployment-groups/service.ts); this module only parses and compares.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError, validationError } from '../errors.ts';
import type { GroupWire, StoredGroup } from '../store/store.ts';

/** What a group's ETag is made of: a StoredGroup, or a GroupWire read for a GET. */
type Tagged = Pick<GroupWire, 'revision' | 'group'>;

/**
 * A strong tag: the revision, and the group's updated_at as stored. The revision alone would repeat
 * after restoring an older backup and changing the group again; updated_at never repeats for one group
 * (it only moves forward), so a tag names one state of one group for good. Plain concatenation: it is
 * computed on every GET.
 */
export function etagOf({ group, revision }: Tagged): string {
  return `"r${revision}-${group.updated_at}"`;
}

/** An If-Match or If-None-Match value: `*`, or the tags listed (weak ones marked). */
export type Condition = '*' | { tag: string; weak: boolean }[];

const TAG = /(W\/)?("[\x21\x23-\x7E\x80-\xFF]*")\s*(?:,|$)/y;
/** Whitespace and empty list elements, which a recipient must accept and ignore (RFC 9110 §5.6.1.2). */
const EMPTY_ELEMENTS = /[\s,]*/y;

/** Parses the header; undefined if absent. A malformed list is 400 2001 naming the header. */
export function parseCondition(
  request: FastifyRequest,
  header: 'if-match' | 'if-none-match',
): Condition | undefined {
  const value = request.headers[header];
  if (value === undefined) return undefined;
  if (value.trim() === '*') return '*';
  const tags: { tag: string; weak: boolean }[] = [];
  let at = 0;
  while (true) {
    EMPTY_ELEMENTS.lastIndex = at;
    EMPTY_ELEMENTS.exec(value);
    if (EMPTY_ELEMENTS.lastIndex >= value.length) break;
    TAG.lastIndex = EMPTY_ELEMENTS.lastIndex;
    const match = TAG.exec(value);
    if (!match) {
      throw validationError([
        { message: 'must be * or a list of entity tags such as "r1-…"', header: headerName(header) },
      ]);
    }
    tags.push({ weak: match[1] !== undefined, tag: match[2] as string });
    at = TAG.lastIndex;
  }
  if (tags.length === 0) {
    throw validationError([{ message: 'must be * or a list of entity tags', header: headerName(header) }]);
  }
  return tags;
}

/** If-Match: strong comparison (a weak tag never matches), `*` matches any current group. */
export function ifMatchHolds(condition: Condition | undefined, stored: StoredGroup): boolean {
  if (condition === undefined || condition === '*') return true;
  const etag = etagOf(stored);
  return condition.some(({ tag, weak }) => !weak && tag === etag);
}

/** Throws 412 2007 unless If-Match holds; called inside the write's transaction. */
export function requireMatch(condition: Condition | undefined, stored: StoredGroup): void {
  if (!ifMatchHolds(condition, stored)) throw new ApiError('preconditionFailed');
}

/** If-None-Match on a read: weak comparison; true means "answer 304". */
export function noneMatchFails(condition: Condition | undefined, stored: Tagged): boolean {
  if (condition === undefined) return false;
  if (condition === '*') return true;
  const etag = etagOf(stored);
  return condition.some(({ tag }) => tag === etag);
}

const IDEMPOTENCY_KEY = /^[\x20-\x7E]{1,255}$/;

/** The Idempotency-Key header, checked; undefined if absent. */
export function idempotencyKey(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw validationError([
      { message: 'must be 1 to 255 printable ASCII characters', header: 'Idempotency-Key' },
    ]);
  }
  return value;
}

/** The same JSON value gives the same hash whatever the order of its object keys. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const fields = keys.map(
      (key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`,
    );
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function headerName(header: 'if-match' | 'if-none-match'): string {
  return header === 'if-match' ? 'If-Match' : 'If-None-Match';
}
