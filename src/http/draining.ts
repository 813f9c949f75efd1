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
import { Server as NetServer, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';

/** How long a connection must stay without a request, during the drain, before it is closed. */
export const DRAIN_IDLE_MS = 1000;
const POLL_MS = 25;

interface ConnectionState {
  /** Requests whose response has not finished. */
  active: number;
  /** When its last response finished (0: never had a request). */
  idleSince: number;
  closing: boolean;
}

/** Registers the hooks; call before any other onRequest hook that does real work (auth). */
export function registerDraining(app: FastifyInstance): void {
  const connections = trackConnections(app);
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
    await drain(app, connections);
  });
  app.addHook('onRequest', async () => {
    if (draining) throw new ApiError('unavailable');
  });
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
}

/** Every open connection and whether it is answering a request. */
function trackConnections(app: FastifyInstance): Map<Socket, ConnectionState> {
  const connections = new Map<Socket, ConnectionState>();
  app.server.on('connection', (socket: Socket) => {
    connections.set(socket, { active: 0, idleSince: 0, closing: false });
    socket.once('close', () => connections.delete(socket));
  });
  app.server.on('request', (request, response) => {
    const state = connections.get(request.socket);
    if (!state) return;
    state.active++;
    response.once('close', () => {
      state.active--;
      state.idleSince = Date.now();
    });
  });
  return connections;
}

async function drain(app: FastifyInstance, connections: Map<Socket, ConnectionState>): Promise<void> {
  if (!app.server.listening) return;
  // net.Server's close, not http.Server's: that one would also destroy the idle connections at once.
  NetServer.prototype.close.call(app.server);
  const started = Date.now();
  while (connections.size > 0) {
    const now = Date.now();
    for (const [socket, state] of connections) {
      if (state.closing || state.active > 0) continue;
      if (now - Math.max(started, state.idleSince) < DRAIN_IDLE_MS) continue;
      state.closing = true;
      socket.end();
      // A client that never closes its side is let go a moment later; nothing of it is unread by then.
      setTimeout(() => socket.destroy(), DRAIN_IDLE_MS).unref();
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
