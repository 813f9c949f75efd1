// Every limit the server puts on a client, in one place (README "Limits"). Slow or oversized requests are
// cut off with the same Cloudflare envelope as every other failure — Node's own bare answers would not be.
import http from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, type ErrorKey } from '../errors.ts';
import { failure } from './envelope.ts';
import { newRayId } from './ray.ts';

export const LIMITS = {
  /**
   * Request body, for every route that does not set its own `bodyLimit` (docs/contract.md §4); more → 413,
   * naming the route's limit. The largest valid group is ~41 KB as most encoders write it and ~227 KB in the
   * most escaped form JSON allows (every character of 1,000 policy IDs as `\u0026`, as Go's encoding/json
   * writes `&`, `<` and `>`): 256 KiB takes every valid group and bounds what one request makes the server
   * parse. A route that needs more (a bulk request) sets `bodyLimit` in its route options.
   */
  bodyBytes: 256 * 1024,
  /**
   * A body refused on its declared Content-Length alone, up to this size, is read and thrown away so that
   * the client, still sending it, reads its 413 (http/body.ts); a larger one is cut off with the connection.
   */
  drainBodyBytes: 1024 * 1024,
  /** All request headers together (Node's default); more → 431. */
  headerBytes: 16 * 1024,
  /** Until the last header byte has arrived (slowloris); slower → 408. */
  headersTimeoutMs: 10_000,
  /** Until the whole request has arrived; slower → 408. */
  requestTimeoutMs: 30_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: 72_000,
  /** Open connections per process; more are closed at once (set by server.ts). */
  maxConnections: 10_000,
  /** Path parameters longer than this (ids are ≤ 36) are "no route". */
  maxParamLength: 100,
  /** How often Node enforces the headers and request timeouts (its default, 30 s, lets a slowloris stay 40 s). */
  timeoutCheckIntervalMs: 1_000,
} as const;

export type Limits = { readonly [K in keyof typeof LIMITS]: number };

/**
 * Answers protocol-level client errors (timeouts, oversized headers, unparsable HTTP) with the
 * envelope, then closes the connection: after such an error the stream cannot be trusted.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  answerAndClose(
    socket,
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 'requestTimeout'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? 'headersTooLarge'
        : 'malformedRequest',
  );
}

/** Node hands CONNECT (proxy tunnels) to a 'connect' listener and drops the socket if there is none. */
export function refuseConnect(server: http.Server): void {
  server.on('connect', (_request: http.IncomingMessage, socket: Socket) =>
    answerAndClose(socket, 'methodNotAllowed'),
  );
}

/** Writes an error envelope straight to the socket, for answers made outside Fastify. */
function answerAndClose(socket: Socket, key: ErrorKey): void {
  const error = new ApiError(key);
  const body = JSON.stringify(failure(error.details));
  const headers = {
    ...error.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cf-ray': newRayId(),
    connection: 'close',
  };
  if (socket.writable) {
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(
      `HTTP/1.1 ${error.status} ${http.STATUS_CODES[error.status]}\r\n${head.join('')}\r\n${body}`,
    );
  }
  socket.destroy();
}
