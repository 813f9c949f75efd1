// Unauthenticated operational routes, outside /client/v4: /healthz (the process is up) and /readyz
// (the store answers). Load balancers use /readyz to take a replica out of rotation.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import { VERSION } from '../version.ts';

export function registerHealthRoutes(app: FastifyInstance, store: Store): void {
  // The version lets a rolling upgrade be watched replica by replica.
  app.get('/healthz', async () => ({ status: 'ok', version: VERSION }));
  app.get('/readyz', async () => {
    try {
      await store.ping();
    } catch {
      throw new ApiError('unavailable');
    }
    return { status: 'ready' };
  });
}
