// Cloudflare v4 envelopes (docs/contract.md §3) and their response schemas.
import { type TSchema, Type } from '@sinclair/typebox';
import type { ErrorDetail } from '../errors.ts';

/** Where Cloudflare's v4 API lives; clients set their base URL to this on our host. */
export const API_PREFIX = '/client/v4';
/** Where what Cloudflare does not have lives, with the same envelope (docs/contract.md §8). */
export const EXTENSIONS_PREFIX = '/ringmaster/v1';

export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

export function ok<T>(result: T) {
  return { success: true as const, errors: [], messages: [], result };
}

export function okPage<T>(result: T[], result_info: ResultInfo) {
  return { success: true as const, errors: [], messages: [], result, result_info };
}

/**
 * ok() as bytes, around a `result` that already is JSON: what the Envelope schema's serializer writes
 * (fields in its order), for a route that sends stored wire JSON (deployment-groups/wire.ts).
 */
export function okJson(result: string): string {
  return `{"success":true,"errors":[],"messages":[],"result":${result}}`;
}

/** okPage() as bytes, around items that already are JSON (PageEnvelope's field order). */
export function okPageJson(items: string[], info: ResultInfo): string {
  const { page, per_page, count, total_count, total_pages } = info;
  return `{"success":true,"errors":[],"messages":[],"result":[${items.join(',')}],"result_info":{"page":${page},"per_page":${per_page},"count":${count},"total_count":${total_count},"total_pages":${total_pages}}}`;
}

/** The Content-Type Fastify gives a serialized JSON body, for a route that sends JSON text itself. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function failure(errors: ErrorDetail[]) {
  return { success: false as const, errors, messages: [], result: null };
}

const Message = Type.Object({ code: Type.Integer(), message: Type.String() });

/** The success envelope around `result`, as a response schema. */
export function Envelope<T extends TSchema>(result: T) {
  return Type.Object({
    success: Type.Boolean(),
    errors: Type.Array(Message),
    messages: Type.Array(Message),
    result,
  });
}

export const ResultInfoSchema = Type.Object({
  page: Type.Integer(),
  per_page: Type.Integer(),
  count: Type.Integer(),
  total_count: Type.Integer(),
  total_pages: Type.Integer(),
});

export function PageEnvelope<T extends TSchema>(item: T) {
  return Type.Object({
    success: Type.Boolean(),
    errors: Type.Array(Message),
    messages: Type.Array(Message),
    result: Type.Array(item),
    result_info: ResultInfoSchema,
  });
}
