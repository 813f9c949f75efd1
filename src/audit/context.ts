// Who makes a change and through what (docs/contract.md §8.2): an HTTP request's credential, address
// and headers, or an operator at the command line.
import type { FastifyRequest } from 'fastify';
import type { AuditContext, AuditInterface } from './model.ts';

/** Set by Ringmaster's own clients; anything else (or nothing) is a plain API client. */
const CLIENTS: Record<string, AuditInterface> = { dashboard: 'dashboard', cli: 'CLI' };

/**
 * The request's side of its audit entry. The address is `request.ip`, which Fastify derives from
 * X-Forwarded-For only as far as TRUST_PROXY allows (src/http/client-address.ts); never a secret.
 */
export function requestAudit(request: FastifyRequest): AuditContext {
  const credential = request.credential;
  const client = request.headers['ringmaster-client'];
  const userAgent = request.headers['user-agent'];
  return {
    actor_type: 'user',
    actor_id: credential?.id ?? null,
    actor_name: credential?.name ?? null,
    actor_email: credential?.email ?? null,
    actor_ip: request.ip,
    interface: (typeof client === 'string' && CLIENTS[client.toLowerCase()]) || 'API',
    ray_id: request.id,
    method: request.method,
    uri: request.url,
    status: 200,
    user_agent: typeof userAgent === 'string' ? userAgent : null,
  };
}

/** An operator with access to the database, at the command line (tokens, keys, the first start). */
export const COMMAND_LINE: AuditContext = {
  actor_type: 'system',
  actor_id: null,
  actor_name: null,
  actor_email: null,
  actor_ip: null,
  interface: 'CLI',
  ray_id: null,
  method: null,
  uri: null,
  status: null,
  user_agent: null,
};
