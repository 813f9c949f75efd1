// GET /client/v4/user/tokens/verify (docs/contract.md §1, Cloudflare's user-api-tokens-verify-token).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { API_PREFIX, Envelope, ok } from '../http/envelope.ts';
import { rejectOtherMethods } from '../http/not-found.ts';
import type { Credential } from './model.ts';

const VERIFY = `${API_PREFIX}/user/tokens/verify`;

const VerifiedToken = Type.Object({
  id: Type.String(),
  status: Type.Literal('active'),
  expires_on: Type.Optional(Type.String()),
});

export function registerTokenRoutes(app: FastifyInstance): void {
  app.get(
    VERIFY,
    {
      config: { auth: 'verify' },
      schema: {
        operationId: 'user-api-tokens-verify-token',
        summary: 'Verify Token',
        tags: ['User API Tokens'],
        security: [{ api_token: [] }],
        response: { 200: Envelope(VerifiedToken) },
      },
    },
    async (request) => {
      // The 'verify' auth hook has set the credential, or answered 401 already.
      const { id, expires_at } = request.credential as Credential;
      return ok({
        id,
        status: 'active' as const,
        ...(expires_at ? { expires_on: toSeconds(expires_at) } : {}),
      });
    },
  );
  rejectOtherMethods(app, VERIFY, ['GET']);
}

/** Cloudflare's `expires_on` is RFC 3339 to the second: "2020-01-01T00:00:00Z". */
function toSeconds(timestamp: string): string {
  return `${timestamp.slice(0, 19)}Z`;
}
