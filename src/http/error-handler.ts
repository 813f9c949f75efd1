// The one place errors become responses. Every failure is a Cloudflare envelope with a stable code from
// src/errors.ts; 5xx hide their details from the client and are logged with the request's ray id.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, bodyTooLargeError, internalError, validationError } from '../errors.ts';
import { StoreUnavailableError } from '../store/store.ts';
import { drainsRefusedBody } from './body.ts';
import { failure } from './envelope.ts';
import { notFound } from './not-found.ts';
import { toViolations } from './validation.ts';

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(sendError);
}

/**
 * Renders any error as the envelope. Also used as Fastify's `frameworkErrors` handler (malformed URLs,
 * over-long path parameters), which runs before any hook, so the headers every error carries are set here.
 */
export function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = toApiError(error, request);
  if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
  reply.header('cf-ray', request.id);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && drainsRefusedBody(request))
    reply.removeHeader('connection');
  return reply.status(apiError.status).headers(apiError.headers).send(failure(apiError.details));
}

function toApiError(error: FastifyError, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreUnavailableError) return new ApiError('unavailable');
  if (error.validation) return validationError(toViolations(error.validation, error.validationContext));
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLargeError(request.routeOptions.bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupportedMediaType');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('invalidJson');
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return notFound(request.url);
    // The client went away while its body was arriving (Node's "aborted"): no one reads this answer,
    // and it is not a server fault, so it must not be logged or counted as a 500.
    case 'ECONNRESET':
      return new ApiError('malformedRequest');
  }
  return internalError(request.id);
}
