// `page` / `per_page` (docs/contract.md §4–§5). A page past the end is a 200 with an empty result, because
// every official SDK stops auto-paginating only on an empty page.
import { Type } from '@sinclair/typebox';
import type { PageRequest } from '../store/store.ts';
import type { ResultInfo } from './envelope.ts';

// Optional, with defaults that validation fills in: handlers always see both as numbers. Both are written in
// decimal digits (http/validation.ts); `page` stops at the largest integer a JSON number carries exactly, so
// it is echoed in result_info exactly as sent.
export const PageQuery = Type.Object({
  page: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      default: 1,
      description: 'The page number to return.',
    }),
  ),
  per_page: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 50,
      description: 'The maximum number of deployment groups to return per page.',
    }),
  ),
});

export function pageRequest(page: number, perPage: number): PageRequest {
  // Beyond MAX_SAFE_INTEGER the offset is past any possible end; the store then answers an empty page.
  return { limit: perPage, offset: Math.min((page - 1) * perPage, Number.MAX_SAFE_INTEGER) };
}

export function resultInfo(page: number, perPage: number, count: number, total: number): ResultInfo {
  return { page, per_page: perPage, count, total_count: total, total_pages: Math.ceil(total / perPage) };
}
