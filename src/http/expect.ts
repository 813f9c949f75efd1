// `Expect` (RFC 9110 §10.1.1). Node answers an `Expect` other than 100-continue with a bare 417, and writes
// `100 Continue` itself before any of our code runs — telling an unauthenticated client to send its body.
// Here both reach Fastify: an unmet expectation is the 417 envelope (docs/contract.md §7), and `100 Continue`
// is written only once the request is authenticated and its route takes a body (http/body.ts).
import type { IncomingMessage, Server } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';

/** Requests whose client waits for `100 Continue` before sending its body. */
const awaitingContinue = new WeakSet<IncomingMessage>();

/** Hands requests with an `Expect` header to the app as ordinary requests, writing nothing. */
export function deferExpectations(server: Server): void {
  server.on('checkContinue', (request: IncomingMessage, response) => {
    awaitingContinue.add(request);
    server.emit('request', request, response);
  });
  server.on('checkExpectation', (request: IncomingMessage, response) => {
    server.emit('request', request, response);
  });
}

/** 417 for any `Expect` but 100-continue; part of the first onRequest hook, before authentication. */
export function refuseUnmetExpectation(request: FastifyRequest): void {
  const expect = request.headers.expect;
  if (expect !== undefined && expect.trim().toLowerCase() !== '100-continue') {
    throw new ApiError('expectationFailed');
  }
}

/** Tells a waiting client to send its body; without it, Node closes the connection after the answer. */
export function sendContinue(request: FastifyRequest, reply: FastifyReply): void {
  if (awaitingContinue.delete(request.raw)) reply.raw.writeContinue();
}
