// Unknown routes (404, codes 7003 + 7000) and known routes asked with the wrong method (405, 2010),
// shaped like Cloudflare's own answers (docs/contract.md §7).
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { ApiError, noRouteError } from '../errors.ts';
import { redactSecrets } from '../tokens/secrets.ts';

/** The 404 for `url`, echoing its path with anything shaped like a secret masked. */
export function notFound(url: string): ApiError {
  return noRouteError(redactSecrets(url.split('?', 1)[0] as string));
}

export function registerNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler(async (request) => {
    throw notFound(request.url);
  });
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Answers every method `url` does not serve with 405 and an `Allow` header, before reading any body. */
export function rejectOtherMethods(app: FastifyInstance, url: string, allowed: HTTPMethods[]): void {
  const served = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
  const allow = served.join(', ');
  app.route({
    method: METHODS.filter((method) => !served.includes(method)),
    url,
    schema: { hide: true },
    onRequest: async () => {
      throw new ApiError('methodNotAllowed', { headers: { allow } });
    },
    handler: async () => undefined,
  });
}
