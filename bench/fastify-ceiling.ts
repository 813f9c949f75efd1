// The bench's second yardstick: a minimal Fastify app with ONE route that answers the captured GET body
// (same bytes, same headers as bench/baseline.ts) as a constant. Fastify's own per-request cost (routing,
// the request/reply objects, the hook runner, no logger) is the ceiling for any Fastify application:
// Ringmaster's GET ratio can approach this one's, not 1.00.
//
//   tsx bench/fastify-ceiling.ts <bodies.json>      (HOST, PORT from the environment; run.ts starts it)
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyReply } from 'fastify';

const bodiesPath = process.argv[2];
if (!bodiesPath) {
  process.stderr.write('usage: tsx bench/fastify-ceiling.ts <bodies.json>\n');
  process.exit(2);
}
const get = Buffer.from((JSON.parse(readFileSync(bodiesPath, 'utf8')) as { get: string }).get);
const RAY = '0123456789abcdef-LCL';

const app = Fastify({ logger: false, keepAliveTimeout: 72_000 });
const constant = (_request: unknown, reply: FastifyReply) => {
  reply.header('cf-ray', RAY).header('content-type', 'application/json; charset=utf-8').send(get);
};
app.get('/client/v4/accounts/:account_id/devices/deployment-groups/:group_id', constant);
// The version-target resolve's path (`npm run bench -- --targets` captures its answer as the GET body).
app.get('/ringmaster/v1/accounts/:account_id/version-targets', constant);
app.get('/readyz', (_request, reply) => {
  reply.send({ status: 'ready' });
});

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || '0');
const url = await app.listen({ host, port });
process.stdout.write(`${JSON.stringify({ msg: 'listening', url })}\n`);
const stop = () => {
  app.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
