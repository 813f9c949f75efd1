// Authentication and authorization (docs/contract.md §6), as one onRequest hook: it runs before the body is
// read, so an unauthenticated client learns nothing about validation and cannot make us parse 1 MiB.
// A route opts in with `config: { auth: 'read' | 'write' | 'verify' }`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ACCOUNT_ID } from '../accounts.ts';
import { ApiError, ERRORS, type ErrorDetail } from '../errors.ts';
import type { Credential, Permission } from '../tokens/model.ts';
import { SECRET_SHAPE } from '../tokens/secrets.ts';
import { grants, type PresentedCredential, type TokenService } from '../tokens/service.ts';
import { noRouteError } from './not-found.ts';
import type { RateLimiter } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs: a credential granting read or write on `:account_id`, or any valid token. */
    auth?: Permission | 'verify';
  }
  interface FastifyRequest {
    credential?: Credential;
  }
}

const PERMISSIONS_DOC = 'https://developers.cloudflare.com/fundamentals/api/reference/permissions/';

export interface AuthOptions {
  tokens: TokenService;
  /** Failed authentications per client address: always on, against brute force. */
  failures: RateLimiter;
  /** Requests per credential, when RATE_LIMIT is set. */
  requests?: RateLimiter;
}

export function authenticate({ tokens, failures, requests }: AuthOptions) {
  return async function authenticateRequest(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const required = request.routeOptions.config.auth;
    if (required === undefined) return;
    const accountId = (request.params as { account_id?: string }).account_id;
    if (accountId !== undefined && !ACCOUNT_ID.test(accountId)) throw noRouteError(request.url);

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
    if (required !== 'verify' && (accountId === undefined || !grants(credential, accountId, required))) {
      throw new ApiError('forbidden', {
        details: [{ ...detail('forbidden'), documentation_url: PERMISSIONS_DOC }],
      });
    }
    request.credential = credential;
  };
}

/** Reads the credential the client presents: a Bearer token first, else the legacy email + key pair. */
export function presentedCredential(headers: FastifyRequest['headers']): PresentedCredential {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const token = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
    if (token === undefined || !SECRET_SHAPE.test(token)) {
      throw malformed(6111, 'Invalid format for Authorization header');
    }
    return { kind: 'token', secret: token };
  }
  const key = headers['x-auth-key'];
  const email = headers['x-auth-email'];
  if (typeof key === 'string' && typeof email === 'string' && key !== '' && email !== '') {
    if (!SECRET_SHAPE.test(key)) throw malformed(6103, 'Invalid format for X-Auth-Key header');
    return { kind: 'key', email, secret: key };
  }
  throw new ApiError('missingCredentials');
}

function detail(key: keyof typeof ERRORS): ErrorDetail {
  return { code: ERRORS[key].code, message: ERRORS[key].message };
}

function malformed(code: number, message: string): ApiError {
  return new ApiError('malformedCredentials', {
    details: [{ ...detail('malformedCredentials'), error_chain: [{ code, message }] }],
  });
}
