// Graceful shutdown (server.ts): once app.close() has begun, the listening socket is closed, but clients
// may still hold keep-alive connections. A request that arrives on one gets the 503 envelope (Fastify's
// own 503 would not be one), and every response from then on closes its connection — requests already
// in flight finish normally — so no idle keep-alive connection holds the process past its deadline.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';

/** Seconds a client should wait before retrying elsewhere or after the restart. */
const RETRY_AFTER_SECONDS = '1';

/** Registers the hooks; call before any other onRequest hook that does real work (auth). */
export function registerDraining(app: FastifyInstance): void {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onRequest', async () => {
    if (draining) throw new ApiError('unavailable', { headers: { 'retry-after': RETRY_AFTER_SECONDS } });
  });
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
}
