// Graceful shutdown under keep-alive load (server.ts; docs/deployment.md "Rolling restarts"). Fastify's own
// close destroys every idle keep-alive connection at once; a client that is just sending its next request
// on one then sees a connection reset. Instead, on close:
//   1. the listening socket closes (new connections are refused: the load balancer moves on);
//   2. requests in flight finish normally, and a request arriving on an open connection gets the 503
//      envelope (Retry-After from the error table); every answer from then on says `Connection: close`,
//      and Node closes the connection after it — the client knows not to reuse it;
//   3. a connection with no request for DRAIN_IDLE_MS since the drain began is closed with a FIN (never a
//      reset: nothing is left unread), which keep-alive clients see before their next request.
// Fastify's close goes on once no connection is left (or the process's deadline ends it all).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';

/** How long a connection must stay without a request, during the drain, before it is closed. */
export const DRAIN_IDLE_MS = 1000;
const POLL_MS = 25;

interface ConnectionState {
  /** Responses not yet finished (several only when requests are pipelined). */
  responses: Set<ServerResponse>;
  /** When its last response finished, or it last received bytes during the drain (0: neither yet). */
  idleSince: number;
  /** `socket.bytesRead` when the drain last looked: more since then is a request on its way. */
  bytesRead: number;
  closing: boolean;
}

/**
 * Registers the drain: a synchronous onRequest hook (the 503 while draining; call before any onRequest
 * hook that does real work, such as auth) and the preClose hook that runs the drain. Requests that arrive
 * while draining already say `Connection: close` (Fastify sets it once closing); those in flight when the
 * drain begins are told so by it, if their headers are not written yet.
 */
export function registerDraining(app: FastifyInstance): void {
  const connections = trackConnections(app);
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
    for (const { responses } of connections.values()) {
      for (const response of responses) if (!response.headersSent) response.setHeader('connection', 'close');
    }
    await drain(app, connections);
  });
  app.addHook('onRequest', (_request, _reply, done) => {
    if (draining) throw new ApiError('unavailable');
    done();
  });
}

/** Every open connection and the responses it is writing. */
function trackConnections(app: FastifyInstance): Map<Socket, ConnectionState> {
  const connections = new Map<Socket, ConnectionState>();
  app.server.on('connection', (socket: Socket) => {
    connections.set(socket, { responses: new Set(), idleSince: 0, bytesRead: 0, closing: false });
    socket.once('close', () => connections.delete(socket));
  });
  app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const state = connections.get(request.socket);
    if (!state) return;
    state.responses.add(response);
    response.once('close', () => {
      state.responses.delete(response);
      state.idleSince = Date.now();
    });
  });
  return connections;
}

/**
 * Closes each connection once it has been idle for DRAIN_IDLE_MS, until none is left. Idle is decided
 * twice: on the timer, then again once this turn of the event loop has read what the sockets hold. A
 * process that was not running for a while (descheduled on a loaded host, a blocking write of a log line)
 * runs its timers before reading the requests that arrived meanwhile; judged on the timer alone, a
 * connection whose next request is already here would be cut off (the client sees a reset).
 */
async function drain(app: FastifyInstance, connections: Map<Socket, ConnectionState>): Promise<void> {
  if (!app.server.listening) return;
  // Connections the kernel has completed but this process has not accepted yet would be reset by the
  // close: let the poll phase accept them first (setImmediate runs right after it), then close at once.
  await new Promise((resolve) => setImmediate(resolve));
  // net.Server's close, not http.Server's: that one would also destroy the idle connections at once.
  NetServer.prototype.close.call(app.server);
  const started = Date.now();
  while (connections.size > 0) {
    const idle = idleConnections(connections, started);
    if (idle.length > 0) {
      // setImmediate runs after the poll phase: every socket with bytes waiting has been read by then.
      await new Promise((resolve) => setImmediate(resolve));
      for (const socket of idleConnections(connections, started)) {
        const state = connections.get(socket);
        if (!state || !idle.includes(socket)) continue;
        state.closing = true;
        socket.end();
        // A client that never closes its side is let go a moment later; nothing of it is unread by then.
        setTimeout(() => socket.destroy(), DRAIN_IDLE_MS).unref();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Connections with no response being written and nothing received for DRAIN_IDLE_MS. */
function idleConnections(connections: Map<Socket, ConnectionState>, started: number) {
  const now = Date.now();
  const idle: Socket[] = [];
  for (const [socket, state] of connections) {
    if (socket.bytesRead !== state.bytesRead) {
      state.bytesRead = socket.bytesRead;
      state.idleSince = now;
    }
    if (state.closing || state.responses.size > 0) continue;
    if (now - Math.max(started, state.idleSince) < DRAIN_IDLE_MS) continue;
    idle.push(socket);
  }
  return idle;
}
