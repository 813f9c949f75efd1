// Authentication and authorization (docs/contract.md §6), as the first onRequest hook of each route that
// needs it (app.ts adds it when the route is registered): it runs before the body is read, so an
// unauthenticated client learns nothing about validation and cannot make us parse its body.
// A route opts in with `config: { auth: 'read' | 'write' | 'verify' | 'all-accounts' }`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ACCOUNT_ID } from '../accounts.ts';
import { ApiError, forbiddenError, malformedCredentialsError } from '../errors.ts';
import type { Credential, Permission } from '../tokens/model.ts';
import { SECRET_SHAPE } from '../tokens/secrets.ts';
import {
  grants,
  grantsEveryAccount,
  type PresentedCredential,
  type TokenService,
} from '../tokens/service.ts';
import { notFound } from './not-found.ts';
import type { RateLimiter } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * What the route needs: a credential granting read or write on `:account_id` (or only the version
     * targets, `targets`), any valid token, or Write on every account (the test-mode control routes,
     * docs/contract.md §8.6).
     */
    auth?: Permission | 'verify' | 'all-accounts';
  }
  interface FastifyRequest {
    credential?: Credential;
  }
}

export interface AuthOptions {
  tokens: TokenService;
  /** Failed authentications per client address: always on, against brute force. */
  failures: RateLimiter;
  /** Requests per credential, when RATE_LIMIT is set. */
  requests?: RateLimiter;
}

/** The hook for a route that requires `required`: one per route, added when the route is registered. */
export function authenticate({ tokens, failures, requests }: AuthOptions) {
  return (required: Permission | 'verify' | 'all-accounts') =>
    async function authenticateRequest(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const accountId = (request.params as { account_id?: string }).account_id;
      if (accountId !== undefined && !ACCOUNT_ID.test(accountId)) throw notFound(request.url);

      if (repeatsCredentialHeader(request.raw.rawHeaders)) throw new ApiError('malformedCredentials');
      const presented = presentedCredential(request.headers);
      const verification = await tokens.verify(presented);
      if (!verification.ok || (required === 'verify' && presented.kind !== 'token')) {
        // Past the limit, failures from this address get 429. Valid credentials are never refused by it,
        // so clients behind one proxy address cannot lock each other out (docs/decisions/0005).
        const failed = await failures.check(request.ip);
        if (!failed.allowed) throw new ApiError('rateLimited', { headers: failures.headers(failed) });
        throw new ApiError(required === 'verify' ? 'invalidApiToken' : 'invalidCredentials');
      }
      const credential = verification.credential;
      if (requests) {
        const decision = await requests.check(credential.id);
        const headers = requests.headers(decision);
        reply.headers(headers);
        if (!decision.allowed) throw new ApiError('rateLimited', { headers });
      }
      if (!permits(credential, required, accountId)) throw forbiddenError();
      request.credential = credential;
    };
}

function permits(
  credential: Credential,
  required: Permission | 'verify' | 'all-accounts',
  accountId?: string,
) {
  // A Version Targets Read token is for devices: it reads the version targets and nothing else, not even
  // its own status (docs/contract.md §6).
  if (required === 'verify') return credential.permission !== 'targets';
  if (required === 'all-accounts') return grantsEveryAccount(credential);
  return accountId !== undefined && grants(credential, accountId, required);
}

/** Reads the credential the client presents: a Bearer token first, else the legacy email + key pair. */
export function presentedCredential(headers: FastifyRequest['headers']): PresentedCredential {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const token = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
    if (token === undefined || !SECRET_SHAPE.test(token)) {
      throw malformedCredentialsError('authorizationFormat');
    }
    return { kind: 'token', secret: token };
  }
  const key = headers['x-auth-key'];
  const email = headers['x-auth-email'];
  if (typeof key === 'string' && typeof email === 'string' && key !== '' && email !== '') {
    if (!SECRET_SHAPE.test(key)) throw malformedCredentialsError('authKeyFormat');
    return { kind: 'key', email, secret: key };
  }
  throw new ApiError('missingCredentials');
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'x-auth-key', 'x-auth-email']);

/**
 * True when a credential header comes more than once (docs/contract.md §6). Node keeps the first
 * `Authorization` and joins repeated `X-Auth-*` values, while a proxy in front may check the last one:
 * the two must never read different credentials, so the raw header list decides.
 */
function repeatsCredentialHeader(rawHeaders: string[]): boolean {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (!CREDENTIAL_HEADERS.has(name)) continue;
    if (seen.has(name)) return true;
    seen.add(name);
  }
  return false;
}
