// The building blocks every model (deployment groups, credentials, accounts) is written with. Schemas are
// TypeBox, validated by Ajv and documented in the OpenAPI document: `nullable` is OpenAPI 3.0's keyword,
// which Ajv and fast-json-stringify understand (src/openapi/routes.ts turns it into 3.1's type lists).
import { type Static, type TSchema, Type } from '@sinclair/typebox';

/**
 * Fields per object, far above the known ones: a few typos are each named, a flood of unknown fields is
 * one violation (docs/contract.md §4).
 */
export const MAX_FIELDS = 32;

/** `schema` or null. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });
}

/** One of a few fixed strings, as a plain JSON Schema `enum` (whose error names the allowed values). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string } = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/**
 * RFC 3339 in UTC with nine fractional digits, as src/clock.ts writes them (docs/contract.md §2). Fixed
 * width, so that both backends sort them as text in time order.
 */
export const Timestamp = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{9}Z$',
  errorMessage:
    'must be an RFC 3339 UTC timestamp with nine fractional digits, e.g. 2026-07-01T12:00:00.123456789Z',
});
