// The bench's third yardstick: bare node:http (bench/baseline.ts) plus only the duties every Ringmaster
// answer has by contract, and nothing of a framework: the presented secret hashed (SHA-256) and looked up
// in memory, a fresh request id for `cf-ray` (Ringmaster's own newRayId), the headers Ringmaster sends, and one JSON log line per
// request through pino, written to a file as Ringmaster writes its lines (TurnBatch: a turn's lines in one
// synchronous write; LOG_LEVEL=info as shipped). No routing, no
// validation, no store. Whatever server answers a version target, its ratio to the bare baseline can
// approach this one's, not 1.00 (docs/performance.md, "The version targets against their yardsticks").
//
//   tsx bench/duties-floor.ts <bodies.json> <log file>      (HOST, PORT from the environment)
import { hash } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pino } from 'pino';
import { newRayId } from '../src/http/ray.ts';
import { TurnBatch } from '../src/logging/logger.ts';

const [bodiesPath, logPath] = process.argv.slice(2);
if (!bodiesPath || !logPath) {
  process.stderr.write('usage: tsx bench/duties-floor.ts <bodies.json> <log file>\n');
  process.exit(2);
}
const body = Buffer.from((JSON.parse(readFileSync(bodiesPath, 'utf8')) as { get: string }).get);
const log = pino(
  { level: 'info' },
  new TurnBatch(pino.destination({ fd: openSync(logPath, 'a'), sync: true })),
);
/** Found credentials by secret hash, as the store holds them. */
const credentials = new Map<string, { id: string }>();

const server = createServer((req, res) => {
  const started = performance.now();
  const secret = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const digest = secret === undefined ? undefined : hash('sha256', secret);
  let credential = digest === undefined ? undefined : credentials.get(digest);
  if (digest !== undefined && credential === undefined) {
    credential = { id: digest.slice(0, 32) };
    credentials.set(digest, credential);
  }
  const ray = newRayId();
  res.writeHead(credential || req.url === '/readyz' ? 200 : 401, {
    'cf-ray': ray,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
  });
  res.end(body);
  const ms = Math.round((performance.now() - started) * 100) / 100;
  log.info(
    { ray, method: req.method, url: req.url, status: res.statusCode, ms, credential: credential?.id },
    'request',
  );
});
server.keepAliveTimeout = 72_000;

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || '0');
server.listen(port, host, () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://${host}:${port}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
process.once('SIGINT', () => server.close(() => process.exit(0)));
