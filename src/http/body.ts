// What a request body must be (docs/contract.md §4): JSON in UTF-8 where a route takes a body, nothing at all
// to decide where it takes none. One parser for JSON and one onRequest hook per route, which runs after
// authentication so that an unauthenticated client learns nothing about bodies and never gets a `100 Continue`.
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { sendContinue } from './expect.ts';
import { LIMITS } from './limits.ts';

export function registerBodyParsing(app: FastifyInstance): void {
  // Only JSON bodies are accepted; without a parser for it, any other type is a 415.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser<Buffer>('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    if (!isJsonInUtf8(request.headers['content-type'])) return done(new ApiError('unsupportedMediaType'));
    // Decoding would silently turn invalid bytes into U+FFFD, which would then be stored.
    if (!isUtf8(body)) return done(new ApiError('invalidJson'));
    parseJson(request, body.toString('utf8'), done);
  });
}

/**
 * The route's onRequest hook, after authentication (synchronous, callback-style): a route without a body
 * schema takes no body, one with it takes JSON in UTF-8.
 */
export function bodyCheck(takesBody: boolean) {
  if (!takesBody) {
    return function checkNoBody(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
      dropEmptyBodyType(request);
      done();
    };
  }
  return function checkJsonBody(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    // A body-taking route answers 415 to anything but JSON, even when no body was sent at all.
    if (!isJsonInUtf8(request.headers['content-type'])) throw new ApiError('unsupportedMediaType');
    sendContinue(request, reply);
    done();
  };
}

/**
 * Cloudflare's Python SDK sends `Content-Type: application/json` with every DELETE, and no body. Fastify
 * would try to parse the nothing as JSON (400 2003); answer as if the header were absent instead.
 */
export function dropEmptyBodyType(request: FastifyRequest): void {
  if (request.headers['content-type'] !== undefined && hasNoBody(request)) {
    delete request.raw.headers['content-type'];
  }
}

/**
 * Whether a body refused for its declared size is drained rather than cut off. Fastify closes the
 * connection after any body error, at once; a client still sending its body then gets a reset, which can
 * discard the 413 before the client reads it (the fuzzer saw `write EPIPE` instead of the answer). Up to
 * LIMITS.drainBodyBytes the connection is kept instead, and Node reads the rest of the body and throws it
 * away, so the client reads its answer; a larger body is still cut off (RFC 9112 §9.6).
 */
export function drainsRefusedBody(request: FastifyRequest): boolean {
  const { 'transfer-encoding': transferEncoding, 'content-length': contentLength } = request.headers;
  if (transferEncoding !== undefined || contentLength === undefined || !/^\d+$/.test(contentLength)) {
    return false;
  }
  const bytes = Number(contentLength);
  return bytes > request.routeOptions.bodyLimit && bytes <= LIMITS.drainBodyBytes;
}

/** True when the request says it carries no body: no Transfer-Encoding and no or a zero Content-Length. */
function hasNoBody(request: FastifyRequest): boolean {
  const { 'transfer-encoding': transferEncoding, 'content-length': contentLength } = request.headers;
  return transferEncoding === undefined && (contentLength === undefined || contentLength === '0');
}

/** `application/json`, with no `charset` or `charset=utf-8` (JSON is UTF-8: RFC 8259 §8.1). */
export function isJsonInUtf8(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [mediaType = '', ...parameters] = contentType.split(';');
  if (mediaType.trim().toLowerCase() !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name = '', value = ''] = parameter.split('=', 2);
    return name.trim().toLowerCase() !== 'charset' || /^"?utf-8"?$/i.test(value.trim());
  });
}
