// Raw HTTP/1.1 over node:net, for requests no well-behaved client would send (malformed request lines,
// duplicate or oversized headers, wrong Content-Length, slow clients) and for reading exactly what the
// server wrote back, byte for byte.
import net from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names lower-cased; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  /** Every response the server wrote before closing (several when requests were pipelined). */
  responses: RawResponse[];
  /** Bytes that did not parse as a complete response (should be empty). */
  rest: string;
  /** Milliseconds from connecting until the server closed the connection (or we gave up). */
  elapsedMs: number;
  /** True if the server closed the connection; false if we gave up waiting. */
  closedByServer: boolean;
  /** A socket error, e.g. ECONNRESET or ECONNREFUSED. */
  error?: string;
}

export interface RawOptions {
  /** Half-close our side this long after writing (simulates a client that stops sending). */
  endAfterMs?: number;
  /** Give up (and destroy the socket) after this long. */
  timeoutMs?: number;
  /** Methods whose responses carry no body, in order of the pipelined requests (e.g. HEAD). */
  headRequests?: boolean[];
  /**
   * With `data` in parts: stop writing once the server has answered, as a client streaming a large body does
   * on an early 413 (writing on would meet the closed connection and lose the answer to a reset).
   */
  stopOnAnswer?: boolean;
}

/** Connects, writes `data` (all at once, or chunk by chunk with a pause), collects what comes back. */
export function rawExchange(
  port: number,
  data: string | Buffer | (string | Buffer)[],
  { endAfterMs, timeoutMs = 10_000, headRequests = [], stopOnAnswer = false }: RawOptions = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let closedByServer = true;
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    const giveUp = setTimeout(() => {
      closedByServer = false;
      socket.destroy();
    }, timeoutMs);
    socket.on('close', () => {
      clearTimeout(giveUp);
      const { responses, rest } = parseResponses(Buffer.concat(chunks), headRequests);
      resolve({ responses, rest, elapsedMs: Date.now() - started, closedByServer, error });
    });
    /** Resolves on the server's next bytes or after `ms`, whichever comes first. */
    const answerOr = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        socket.once('data', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    socket.on('connect', async () => {
      const parts = Array.isArray(data) ? data : [data];
      for (const [i, part] of parts.entries()) {
        if (socket.destroyed || (stopOnAnswer && chunks.length > 0)) break;
        socket.write(part);
        // A server that answers on the first part alone (the head) gets half a second to do so.
        if (Array.isArray(data))
          await (stopOnAnswer && i === 0 ? answerOr(500) : new Promise((r) => setTimeout(r, 5)));
      }
      if (endAfterMs !== undefined) setTimeout(() => socket.end(), endAfterMs);
    });
  });
}

/** Parses back-to-back HTTP/1.1 responses (Content-Length or chunked bodies). */
export function parseResponses(
  buffer: Buffer,
  headRequests: boolean[] = [],
): { responses: RawResponse[]; rest: string } {
  const responses: RawResponse[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const headerEnd = buffer.indexOf('\r\n\r\n', offset);
    if (headerEnd < 0) break;
    const [statusLine = '', ...lines] = buffer.subarray(offset, headerEnd).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!match) break;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let cursor = headerEnd + 4;
    let body: Buffer = Buffer.alloc(0);
    const noBody = headRequests[responses.length] === true;
    if (noBody) {
      // HEAD: headers only.
    } else if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = buffer.indexOf('\r\n', cursor);
        if (lineEnd < 0) return { responses, rest: buffer.subarray(offset).toString('latin1') };
        const size = Number.parseInt(buffer.subarray(cursor, lineEnd).toString('latin1'), 16);
        cursor = lineEnd + 2;
        if (size === 0) {
          cursor += 2;
          break;
        }
        parts.push(buffer.subarray(cursor, cursor + size));
        cursor += size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (cursor + length > buffer.length) break;
      body = buffer.subarray(cursor, cursor + length);
      cursor += length;
    }
    responses.push({ status: Number(match[1]), headers, body: body.toString('utf8') });
    offset = cursor;
  }
  return { responses, rest: buffer.subarray(offset).toString('latin1') };
}

/** A request as raw text; `Content-Length` is computed unless `contentLength` says otherwise. */
export function rawRequest({
  method = 'GET',
  path,
  headers = [],
  body,
  contentLength,
  version = 'HTTP/1.1',
}: {
  method?: string;
  path: string;
  /** Name/value pairs, sent in order; repeats allowed. */
  headers?: [string, string][];
  body?: string | Buffer;
  /** Overrides the computed Content-Length (`null` omits the header even with a body). */
  contentLength?: number | string | null;
  version?: string;
}): Buffer {
  const bodyBuffer = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const all: [string, string][] = [['Host', '127.0.0.1'], ...headers];
  const length =
    contentLength === undefined ? (body === undefined ? undefined : bodyBuffer.length) : contentLength;
  if (length !== undefined && length !== null) all.push(['Content-Length', String(length)]);
  const head = `${method} ${path} ${version}\r\n${all.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bodyBuffer]);
}

/** Opens a connection that stays open until `close()`; resolves once connected. */
export function openConnection(port: number): Promise<{
  socket: net.Socket;
  received: () => Buffer;
  closed: Promise<void>;
}> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), closed }));
    socket.once('error', reject);
  });
}
