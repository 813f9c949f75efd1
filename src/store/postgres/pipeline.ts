// Pipelined statements on one PostgreSQL connection: several statements, one round trip.
import type { PoolClient, QueryConfig, QueryResult } from 'pg';

/**
 * Sends `steps` together and waits for all; throws the first statement's error (the statements after a
 * failed one fail too, and a COMMIT after it rolls back). Pipeline mode sends each query without
 * waiting for the one before; corking the socket makes them one write instead of one each.
 */
export async function pipeline(
  client: PoolClient,
  steps: (string | QueryConfig)[],
): Promise<(QueryResult | undefined)[]> {
  const socket = client.connection.stream;
  socket.cork();
  let sent: Promise<QueryResult>[];
  try {
    sent = steps.map((step) => client.query(step as QueryConfig));
  } finally {
    socket.uncork();
  }
  const settled = await Promise.allSettled(sent);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
}
