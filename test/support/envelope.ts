// Checks that a response is Cloudflare's error envelope (docs/contract.md §3) with the expected status and code.
import assert from 'node:assert/strict';
import type { ApiResponse } from './api.ts';

/** `cf-ray`: 16 hex digits, a dash, a location (docs/contract.md §3). */
export const CF_RAY = /^[0-9a-f]{16}-[A-Z]{3}$/;

export interface AnyResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Asserts the failure envelope and returns its `errors`. */
export function assertErrorEnvelope(answer: AnyResponse | ApiResponse, status: number, code: number) {
  const response = 'text' in answer ? fromApi(answer) : answer;
  const context = `${response.status} ${response.body.slice(0, 500)}`;
  assert.equal(response.status, status, context);
  assert.match(String(response.headers['content-type']), /^application\/json/, context);
  assert.match(String(response.headers['cf-ray']), CF_RAY, context);
  const body = JSON.parse(response.body);
  assert.equal(body.success, false, context);
  assert.deepEqual(body.messages, [], context);
  assert.equal(body.result, null, context);
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, context);
  for (const error of body.errors) {
    assert.ok(Number.isInteger(error.code), context);
    assert.equal(typeof error.message, 'string', context);
  }
  assert.equal(body.errors[0].code, code, context);
  return body.errors as {
    code: number;
    message: string;
    source?: { pointer?: string; parameter?: string };
  }[];
}

/** fetch's Response → the shape above (reads the body). */
export async function fromFetch(response: Response): Promise<AnyResponse> {
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}

/** callApi's answer → the shape above. */
function fromApi(response: ApiResponse): AnyResponse {
  return { status: response.status, headers: Object.fromEntries(response.headers), body: response.text };
}
