// The one table of API errors: every failure the server sends is one of these keys.
// Codes and messages follow docs/contract.md §6–§7; a code, once published, never changes meaning.

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
  noRoute: { status: 404, code: 7003, message: 'No route for that URI' },
  methodNotAllowed: { status: 405, code: 2010, message: 'Method not allowed on this route' },
  policyConflict: {
    status: 409,
    code: 2004,
    message: 'Policy ID already belongs to another deployment group',
  },
  preconditionFailed: { status: 412, code: 2007, message: 'If-Match did not match the current version' },
  bodyTooLarge: { status: 413, code: 2005, message: 'Request body is larger than 1 MiB' },
  requestTimeout: { status: 408, code: 2011, message: 'The request was not received in time' },
  headersTooLarge: { status: 431, code: 2012, message: 'Request headers are larger than 16 KiB' },
  malformedRequest: { status: 400, code: 2013, message: 'Malformed HTTP request' },
  unsupportedMediaType: { status: 415, code: 2006, message: 'Content-Type must be application/json' },
  rateLimited: { status: 429, code: 971, message: 'Please wait and consider throttling your request speed' },
  internal: { status: 500, code: 2008, message: 'Internal server error' },
  unavailable: { status: 503, code: 2009, message: 'Service temporarily unavailable, retry later' },
} as const;

export type ErrorKey = keyof typeof ERRORS;

/** One entry of the envelope's `errors` array (docs/contract.md §3). */
export interface ErrorDetail {
  code: number;
  message: string;
  source?: { pointer?: string; parameter?: string };
  documentation_url?: string;
  error_chain?: { code: number; message: string }[];
  /** Facts a client can act on without parsing `message`, e.g. the owner of a policy ID (§5). */
  meta?: { deployment_group_id?: string };
}

export interface ApiErrorOptions {
  /** Replaces the single default error object, e.g. one object per violation or per conflicting ID. */
  details?: ErrorDetail[];
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
    const entry = ERRORS[key];
    super(entry.message);
    this.name = 'ApiError';
    this.status = entry.status;
    this.details = options.details ?? [{ code: entry.code, message: entry.message }];
    this.headers = options.headers ?? {};
  }
}

/** A 2001 error: one object per violation, each pointing at what it is about. */
export interface Violation {
  message: string;
  pointer?: string;
  parameter?: string;
}

export function validationError(violations: Violation[]): ApiError {
  return new ApiError('validation', {
    details: violations.map(({ message, pointer, parameter }) => ({
      code: ERRORS.validation.code,
      message,
      source: pointer !== undefined ? { pointer } : { parameter },
    })),
  });
}
