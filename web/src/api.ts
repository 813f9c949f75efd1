// The dashboard's only way to the data: the server's public API (Cloudflare's v4, plus the access route of
// docs/contract.md §8.0), with the signed-in token. The shapes are generated from the OpenAPI document (wire.ts).
import type { Session } from './session.ts';
import {
  type Access,
  API_BASE,
  type ApiErrorItem,
  type Deleted,
  EXTENSIONS_BASE,
  type Group,
  type GroupCreate,
  type GroupUpdate,
  type ResultInfo,
  type VerifiedToken,
} from './wire.ts';

export type { ApiErrorItem } from './wire.ts';

export interface Success<T> {
  ok: true;
  status: number;
  result: T;
  resultInfo?: ResultInfo;
  /** The envelope's `messages` (a version-target lookup that finds nothing says why there). */
  messages?: { code?: number; message: string }[];
}

export interface Failure {
  ok: false;
  /** 0 when the server could not be reached at all. */
  status: number;
  errors: ApiErrorItem[];
  ray: string | null;
  retryAfter: string | null;
}

export type Outcome<T> = Success<T> | Failure;

/** Codes that mean "this token no longer works here": sign in again (docs/contract.md §6). */
export function isSignedOut(failure: Failure): boolean {
  return failure.errors.some((e) => e.code === 9109 || e.code === 1000 || e.code === 6003 || e.code === 9106);
}

/** A sentence for a failure the user cannot fix field by field. */
export function describeFailure(failure: Failure): string {
  const text = failure.errors
    .map((e) =>
      e.code === 10000
        ? 'This token may not do that in this account: changes need a token with Zero Trust Write.'
        : e.message,
    )
    .join(' ');
  if (failure.status === 429 && failure.retryAfter) return `${text} (try again in ${failure.retryAfter} s)`;
  if (failure.status >= 500 && failure.ray && !text.includes(failure.ray))
    return `${text} (ray ${failure.ray})`;
  return text;
}

export class Api {
  constructor(readonly session: Session) {}

  private get account(): string {
    return `/accounts/${encodeURIComponent(this.session.account)}`;
  }

  private get groups(): string {
    return `${API_BASE}${this.account}/devices/deployment-groups`;
  }

  verifyToken(): Promise<Outcome<VerifiedToken>> {
    return this.request('GET', `${API_BASE}/user/tokens/verify`);
  }

  /** What this token may do in this account: read only, or also write. */
  getAccess(): Promise<Outcome<Access>> {
    return this.request('GET', `${EXTENSIONS_BASE}${this.account}/access`);
  }

  listGroups(page: number, perPage: number): Promise<Outcome<Group[]>> {
    return this.request('GET', `${this.groups}?page=${page}&per_page=${perPage}`);
  }

  getGroup(id: string): Promise<Outcome<Group>> {
    return this.request('GET', `${this.groups}/${encodeURIComponent(id)}`);
  }

  createGroup(input: GroupCreate): Promise<Outcome<Group>> {
    return this.request('POST', this.groups, input);
  }

  updateGroup(id: string, input: GroupUpdate): Promise<Outcome<Group>> {
    return this.request('PATCH', `${this.groups}/${encodeURIComponent(id)}`, input);
  }

  deleteGroup(id: string): Promise<Outcome<Deleted>> {
    return this.request('DELETE', `${this.groups}/${encodeURIComponent(id)}`);
  }

  /** Any API call with this session's token; the views' own modules (rollouts-api.ts…) build on it. */
  async request<T>(method: string, path: string, body?: unknown): Promise<Outcome<T>> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${this.session.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch {
      return {
        ok: false,
        status: 0,
        errors: [{ code: 0, message: 'Could not reach the Ringmaster server. Is it running?' }],
        ray: null,
        retryAfter: null,
      };
    }
    let envelope: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = await response.json();
      if (parsed !== null && typeof parsed === 'object') envelope = parsed as Record<string, unknown>;
    } catch {
      // Not JSON (a proxy's error page, say): described by its status below.
    }
    if (response.ok && envelope?.success === true) {
      return {
        ok: true,
        status: response.status,
        result: envelope.result as T,
        resultInfo: envelope.result_info as ResultInfo | undefined,
        messages: Array.isArray(envelope.messages)
          ? (envelope.messages as Success<T>['messages'])
          : undefined,
      };
    }
    const errors = Array.isArray(envelope?.errors) ? (envelope.errors as ApiErrorItem[]) : [];
    return {
      ok: false,
      status: response.status,
      errors: errors.length
        ? errors
        : [{ code: 0, message: `The server answered ${response.status} ${response.statusText}`.trim() }],
      ray: response.headers.get('cf-ray'),
      retryAfter: response.headers.get('retry-after'),
    };
  }
}
