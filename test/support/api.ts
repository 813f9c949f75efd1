// The one fetch helper of the suites that talk to a listening server: one API call over a real socket, its
// answer read whole, every 200 of a Cloudflare operation checked against Cloudflare's schema on the way.
import { assertCloudflareShape } from './cloudflare-spec.ts';

/** A Bearer token, or the exact credential headers to send (a legacy key pair; `{}` for none). */
export type Credentials = string | Record<string, string>;

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** The body as received. */
  text: string;
  /** The body parsed as JSON; undefined when there is none (HEAD). */
  body: any;
}

export interface CallOptions {
  /** Aborts the call, e.g. when a test kills the server under it. */
  signal?: AbortSignal;
}

/**
 * `baseUrl` is the server's origin, or its origin with `/client/v4` (as `startServer` reports it); `path`
 * is relative to it. A `body` is sent as JSON with `Content-Type: application/json`.
 */
export async function callApi(
  baseUrl: string,
  credentials: Credentials,
  method: string,
  path: string,
  body?: unknown,
  { signal }: CallOptions = {},
): Promise<ApiResponse> {
  const url = new URL(`${baseUrl}${path}`);
  const response = await fetch(url, {
    method,
    headers: {
      ...(typeof credentials === 'string' ? { authorization: `Bearer ${credentials}` } : credentials),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const text = await response.text();
  const parsed = text === '' ? undefined : JSON.parse(text);
  if (response.status === 200) assertCloudflareShape(method, url.pathname + url.search, parsed);
  return { status: response.status, headers: response.headers, text, body: parsed };
}
