// One JSON log line per request, carrying the `cf-ray` id as `ray` (docs/contract.md §3). Headers and bodies
// are never logged, and anything shaped like a secret in the URL is masked, so no secret reaches the log.
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { redactSecrets } from '../tokens/secrets.ts';

export class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'ray' });
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const entry: RequestEntry = {
      method: request.method,
      url: redactSecrets(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
    };
    // Who made the request: the credential's id (never its secret), for tracing a change to a token.
    if (request.credential) entry.credential = request.credential.id;
    if (error) entry.err = error;
    request.log.info(entry, 'request');
  }
}

interface RequestEntry {
  method: string;
  url: string;
  status: number;
  ms: number;
  credential?: string;
  err?: Error;
}
