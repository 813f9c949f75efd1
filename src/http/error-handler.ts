// The one place errors become responses. Every failure is a Cloudflare envelope with a stable code;
// 5xx hide their details from the client and are logged with the request's ray id.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, validationError } from '../errors.ts';
import { StoreUnavailableError } from '../store/store.ts';
import { failure } from './envelope.ts';
import { noRouteError } from './not-found.ts';
import { toViolations } from './validation.ts';

/** How long a client should wait before retrying a 503 (seconds). */
const RETRY_AFTER_SECONDS = '1';

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error, request);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(apiError.status).headers(apiError.headers).send(failure(apiError.details));
  });
}

function toApiError(error: FastifyError, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreUnavailableError) {
    return new ApiError('unavailable', { headers: { 'retry-after': RETRY_AFTER_SECONDS } });
  }
  if (error.validation) return validationError(toViolations(error.validation, error.validationContext));
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('bodyTooLarge');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupportedMediaType');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('invalidJson');
    case 'FST_ERR_BAD_URL':
      return noRouteError(request.url);
  }
  return new ApiError('internal', {
    details: [{ code: 2008, message: `Internal server error (ray ${request.id})` }],
  });
}
