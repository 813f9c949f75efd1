// The dashboard's only way to the data: the server's public API (Cloudflare's v4, plus the access, history
// and revert routes of docs/contract.md §8.0 and §8.3), with the signed-in token. Every request says it comes
// from the dashboard (`Ringmaster-Client`, recorded in the audit log, §8.2); a change of one group sends
// `If-Match` with the ETag of the state it was made from (§8.1). The shapes come from the OpenAPI document
// (wire.ts).
import type { Session } from './session.ts';
import {
  type Access,
  API_BASE,
  type ApiErrorItem,
  type AuditLog,
  type AuditResultInfo,
  type Deleted,
  EXTENSIONS_BASE,
  type Group,
  type GroupCreate,
  type GroupUpdate,
  type ResultInfo,
  type VerifiedToken,
  type HistoryEntry as WireHistoryEntry,
} from './wire.ts';

export type { ApiErrorItem } from './wire.ts';

export interface Success<T, I = ResultInfo> {
  ok: true;
  status: number;
  result: T;
  resultInfo?: I;
  /** The `ETag` of the one group answered (get, create, update, revert), for a later `If-Match`. */
  etag: string | null;
  /** The envelope's `messages` (a version-target lookup that finds nothing says why there). */
  messages?: { code?: number; message: string }[];
}

/** A field's value before and after a change (the OpenAPI document leaves them untyped: any JSON). */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** One revision of a group (docs/contract.md §8.3). */
export type HistoryEntry = Omit<WireHistoryEntry, 'changes'> & { changes: FieldChange[] };

/** The filters of the account's audit log (version 2, docs/contract.md §8.2), as query parameters. */
export type AuditQuery = [name: string, value: string][];

/** The code of a failed `If-Match` (412): the group changed since the form was opened. */
export const PRECONDITION_FAILED = 2007;

export interface Failure {
  ok: false;
  /** 0 when the server could not be reached at all. */
  status: number;
  errors: ApiErrorItem[];
  ray: string | null;
  retryAfter: string | null;
}

export type Outcome<T, I = ResultInfo> = Success<T, I> | Failure;

/** Whether the failure is a lost update: someone changed the group after its ETag was read. */
export function isStale(failure: Failure): boolean {
  return failure.status === 412 && failure.errors.some((e) => e.code === PRECONDITION_FAILED);
}

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

  /** `ifMatch`: the ETag of the state the edit was made from; null sends none. */
  updateGroup(id: string, input: GroupUpdate, ifMatch: string | null): Promise<Outcome<Group>> {
    return this.request('PATCH', `${this.groups}/${encodeURIComponent(id)}`, input, ifMatch);
  }

  deleteGroup(id: string, ifMatch: string | null): Promise<Outcome<Deleted>> {
    return this.request('DELETE', `${this.groups}/${encodeURIComponent(id)}`, undefined, ifMatch);
  }

  /** A group's revisions, newest first; also for a deleted group. */
  groupHistory(id: string, page: number, perPage: number): Promise<Outcome<HistoryEntry[]>> {
    const path = `${EXTENSIONS_BASE}${this.account}/deployment-groups/${encodeURIComponent(id)}/history`;
    return this.request('GET', `${path}?page=${page}&per_page=${perPage}`);
  }

  /** Makes the group what it was at `revision`; `ifMatch` null for a deleted group (no tag can hold). */
  revertGroup(id: string, revision: number, ifMatch: string | null): Promise<Outcome<Group>> {
    const path = `${EXTENSIONS_BASE}${this.account}/deployment-groups/${encodeURIComponent(id)}/revert`;
    return this.request('POST', path, { revision }, ifMatch);
  }

  /** A page of the account's audit log (Cloudflare's version 2: cursor paging), newest first. */
  auditLogs(query: AuditQuery): Promise<Outcome<AuditLog[], AuditResultInfo>> {
    const search = new URLSearchParams(query).toString();
    return this.request('GET', `${API_BASE}${this.account}/logs/audit?${search}`);
  }

  /** Any API call with this session's token; the views' own modules (rollouts-api.ts…) build on it. */
  async request<T, I = ResultInfo>(
    method: string,
    path: string,
    body?: unknown,
    ifMatch: string | null = null,
  ): Promise<Outcome<T, I>> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${this.session.token}`,
          accept: 'application/json',
          'ringmaster-client': 'dashboard',
          ...(ifMatch === null ? {} : { 'if-match': ifMatch }),
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
        resultInfo: envelope.result_info as I | undefined,
        etag: response.headers.get('etag'),
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
