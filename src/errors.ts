// The one table of API errors: every failure the server sends is one of these keys, and every status, code,
// message and default header of an error is written here and nowhere else. Codes and messages follow
// docs/contract.md §6–§7; a code, once published, never changes meaning (docs/decisions/0001-error-codes.md).

/** Seconds a client should wait before retrying a 503: storage may be back, or another replica up. */
const RETRY_AFTER_SECONDS = '1';

export const ERRORS = {
  missingCredentials: {
    status: 400,
    code: 9106,
    message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers',
  },
  malformedCredentials: { status: 400, code: 6003, message: 'Invalid request headers' },
  invalidApiToken: { status: 401, code: 1000, message: 'Invalid API Token' },
  invalidCredentials: { status: 403, code: 9109, message: 'Invalid access token' },
  forbidden: { status: 403, code: 10000, message: 'Authentication error' },
  validation: { status: 400, code: 2001, message: 'Request validation failed' },
  invalidJson: { status: 400, code: 2003, message: 'Invalid JSON in request body' },
  groupNotFound: { status: 404, code: 2002, message: 'Deployment group not found' },
  noRoute: {
    status: 404,
    code: 7003,
    message: 'Could not route to that URI, perhaps your object identifier is invalid?',
  },
  methodNotAllowed: { status: 405, code: 2010, message: 'Method not allowed on this route' },
  policyConflict: {
    status: 409,
    code: 2004,
    message: 'Policy ID already belongs to another deployment group',
  },
  rolloutNotFound: { status: 404, code: 2016, message: 'Rollout not found' },
  rolloutState: {
    status: 409,
    code: 2017,
    message: 'The rollout is not in a state that allows this action',
  },
  rolloutConflict: {
    status: 409,
    code: 2018,
    message: 'Another active rollout sets the same environment of the same deployment group',
  },
  preconditionFailed: { status: 412, code: 2007, message: 'If-Match did not match the current version' },
  idempotencyMismatch: {
    status: 422,
    code: 2014,
    message: 'Idempotency-Key was already used with a different request',
  },
  bodyTooLarge: { status: 413, code: 2005, message: 'Request body is too large' },
  requestTimeout: { status: 408, code: 2011, message: 'The request was not received in time' },
  headersTooLarge: { status: 431, code: 2012, message: 'Request headers are larger than 16 KiB' },
  malformedRequest: { status: 400, code: 2013, message: 'Malformed HTTP request' },
  unsupportedMediaType: {
    status: 415,
    code: 2006,
    message: 'Content-Type must be application/json, in UTF-8',
  },
  expectationFailed: {
    status: 417,
    code: 2015,
    message: 'The only Expect this server meets is 100-continue',
  },
  rateLimited: { status: 429, code: 971, message: 'Please wait and consider throttling your request speed' },
  internal: { status: 500, code: 2008, message: 'Internal server error' },
  unavailable: {
    status: 503,
    code: 2009,
    message: 'Service temporarily unavailable, retry later',
    headers: { 'retry-after': RETRY_AFTER_SECONDS },
  },
} as const satisfies Record<string, ErrorEntry>;

/**
 * Error objects that accompany a main one, never sent alone: the second object of a 404 (7000) and the
 * `error_chain` of a malformed credential (6111, 6103) [obs].
 */
export const SUB_ERRORS = {
  noRouteForUri: { code: 7000, message: 'No route for that URI' },
  authorizationFormat: { code: 6111, message: 'Invalid format for Authorization header' },
  authKeyFormat: { code: 6103, message: 'Invalid format for X-Auth-Key header' },
} as const satisfies Record<string, { code: number; message: string }>;

/**
 * Codes of the `messages` a success may carry: facts about a 200 that is not what the client hoped for,
 * such as a version-target query nothing answers (docs/contract.md §8.4). A range apart from the errors',
 * so that no code ever means both.
 */
export const MESSAGES = {
  noGroupHoldsPolicy: { code: 2101, message: 'No deployment group holds this policy' },
  noEntryForEnvironment: {
    code: 2102,
    message: 'The deployment group has no version for this environment and none for every environment',
  },
} as const satisfies Record<string, { code: number; message: string }>;

interface ErrorEntry {
  status: number;
  code: number;
  message: string;
  headers?: Record<string, string>;
}

export type ErrorKey = keyof typeof ERRORS;

/** One entry of the envelope's `errors` array (docs/contract.md §3). */
export interface ErrorDetail {
  code: number;
  message: string;
  /** JSON:API's error source: a body member, a query parameter, or a request header. */
  source?: { pointer?: string; parameter?: string; header?: string };
  documentation_url?: string;
  error_chain?: { code: number; message: string }[];
  /** Facts a client can act on without parsing `message`, e.g. the owner of a policy ID (§5). */
  meta?: { deployment_group_id?: string; rollout_id?: string };
}

export interface ApiErrorOptions {
  /** Replaces the single default error object, e.g. one object per violation or per conflicting ID. */
  details?: ErrorDetail[];
  /** Headers besides the entry's own, e.g. `Allow` on a 405 or the rate-limit headers on a 429. */
  headers?: Record<string, string>;
}

/** Thrown anywhere below the routes; rendered in exactly one place (http/error-handler.ts). */
export class ApiError extends Error {
  readonly status: number;
  readonly details: ErrorDetail[];
  readonly headers: Record<string, string>;

  constructor(
    readonly key: ErrorKey,
    options: ApiErrorOptions = {},
  ) {
    const entry: ErrorEntry = ERRORS[key];
    super(entry.message);
    this.name = 'ApiError';
    this.status = entry.status;
    this.details = options.details ?? [{ code: entry.code, message: entry.message }];
    this.headers = { ...retryHeader(entry.status), ...entry.headers, ...options.headers };
  }
}

/**
 * The official SDKs retry 408, 409, 429 and 5xx; any other 4xx is deterministic, and a 409 is too here,
 * so every 4xx but 408 and 429 tells them not to send it again (docs/contract.md §5).
 */
function retryHeader(status: number): Record<string, string> {
  return status >= 400 && status < 500 && status !== 408 && status !== 429
    ? { 'x-should-retry': 'false' }
    : {};
}

/** 404 for a path no route serves: 7003 naming the (already redacted) path, then 7000 [obs]. */
export function noRouteError(path: string): ApiError {
  return new ApiError('noRoute', {
    details: [
      {
        code: ERRORS.noRoute.code,
        message: `Could not route to ${path}, perhaps your object identifier is invalid?`,
      },
      SUB_ERRORS.noRouteForUri,
    ],
  });
}

/** 400 6003 for a malformed credential header, with the header's own code in `error_chain` [obs]. */
export function malformedCredentialsError(sub: keyof typeof SUB_ERRORS): ApiError {
  const { code, message } = ERRORS.malformedCredentials;
  return new ApiError('malformedCredentials', {
    details: [{ code, message, error_chain: [SUB_ERRORS[sub]] }],
  });
}

/** 403 10000 with the page that explains token permissions [obs]. */
export function forbiddenError(): ApiError {
  const { code, message } = ERRORS.forbidden;
  return new ApiError('forbidden', {
    details: [
      {
        code,
        message,
        documentation_url: 'https://developers.cloudflare.com/fundamentals/api/reference/permissions/',
      },
    ],
  });
}

/** 413 naming the limit of the route asked (docs/contract.md §4). */
export function bodyTooLargeError(limitBytes: number): ApiError {
  const size = limitBytes % 1024 === 0 ? `${limitBytes / 1024} KiB` : `${limitBytes} bytes`;
  return new ApiError('bodyTooLarge', {
    details: [{ code: ERRORS.bodyTooLarge.code, message: `Request body is larger than ${size}` }],
  });
}

/** 500 with a generic message and the ray id to find the details in the log (docs/contract.md §7). */
export function internalError(ray: string): ApiError {
  return new ApiError('internal', {
    details: [{ code: ERRORS.internal.code, message: `${ERRORS.internal.message} (ray ${ray})` }],
  });
}

/** A 2001 error: one object per violation, each pointing at what it is about. */
export interface Violation {
  message: string;
  pointer?: string;
  parameter?: string;
  header?: string;
}

/** At most this many error objects in a 2001 answer, the last one counting the rest (docs/contract.md §4). */
export const MAX_VIOLATIONS = 100;

export function validationError(violations: Violation[]): ApiError {
  const code = ERRORS.validation.code;
  const listed = violations.length > MAX_VIOLATIONS ? violations.slice(0, MAX_VIOLATIONS - 1) : violations;
  const details: ErrorDetail[] = listed.map(({ message, pointer, parameter, header }) => ({
    code,
    message,
    source: pointer !== undefined ? { pointer } : header !== undefined ? { header } : { parameter },
  }));
  if (listed.length < violations.length) {
    details.push({ code, message: `${violations.length - listed.length} more violations not listed` });
  }
  return new ApiError('validation', { details });
}
