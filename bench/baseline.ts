// The bench's yardstick: a bare node:http server that answers the same routes as Ringmaster with
// constant bodies captured from the real server (same bytes, same content type), and does nothing else.
// Whatever Ringmaster costs beyond this is routing, auth, validation, storage, serialization and logging.
//
//   tsx bench/baseline.ts <bodies.json>      (HOST, PORT from the environment; run.ts starts it)
//
// bodies.json: { "get": "...", "list": "...", "patch": "...", "post": "..." } — response bodies.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

interface Bodies {
  get: string;
  list: string;
  patch: string;
  post: string;
}

const bodiesPath = process.argv[2];
if (!bodiesPath) {
  process.stderr.write('usage: tsx bench/baseline.ts <bodies.json>\n');
  process.exit(2);
}
const bodies = JSON.parse(readFileSync(bodiesPath, 'utf8')) as Bodies;
const buffers = {
  get: Buffer.from(bodies.get),
  list: Buffer.from(bodies.list),
  patch: Buffer.from(bodies.patch),
  post: Buffer.from(bodies.post),
  ready: Buffer.from('{"status":"ready"}'),
};
// The same headers Ringmaster sends (node adds Date, Connection and Keep-Alive itself).
const RAY = '0123456789abcdef-LCL';

function send(res: ServerResponse, body: Buffer): void {
  res.writeHead(200, {
    'cf-ray': RAY,
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
  });
  res.end(body);
}

function route(req: IncomingMessage): Buffer {
  const url = req.url ?? '/';
  if (url.startsWith('/readyz') || url.startsWith('/healthz')) return buffers.ready;
  switch (req.method) {
    case 'PATCH':
      return buffers.patch;
    case 'POST':
      return buffers.post;
    default:
      // An item URL has a segment after /deployment-groups/; the collection (with its query) does not.
      return /\/deployment-groups\/[^/?]/.test(url) ? buffers.get : buffers.list;
  }
}

const server = createServer((req, res) => {
  const body = route(req);
  if (req.method === 'GET' || req.method === 'HEAD') {
    send(res, body);
    return;
  }
  // Read the request body to its end, as a real handler must, then answer.
  req.on('data', () => {});
  req.on('end', () => send(res, body));
});
server.keepAliveTimeout = 72_000;

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || '0');
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://${host}:${actual}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
process.once('SIGINT', () => server.close(() => process.exit(0)));
