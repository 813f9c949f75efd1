// The wire itself: random bytes, pipelined requests on one connection, and bodies over the limit.
import { bearer, type Case, COLLECTION, type Context, pickTarget, rawBytes, uuid } from '../case.ts';
import { BODY_LIMIT, bodyVerdict, type Outcome } from '../oracle.ts';

const ANY_CLIENT_ERROR: Outcome[] = [400, 401, 403, 404, 405, 408, 411, 413, 414, 415, 431].map((status) => ({
  status,
}));

const PREFIXES = [
  '',
  '',
  'GET ',
  `POST ${COLLECTION} HTTP/1.1\r\n`,
  'GET /nowhere HTTP/1.1\r\nHost: x\r\n',
  'HTTP/1.1 200 OK\r\n',
];

export function randomBytes(c: Context): Case {
  const bytes = c.random.bytes(c.random.int(1, 2000));
  const prefix = c.random.pick(PREFIXES);
  return {
    kind: 'random-bytes',
    label: `${JSON.stringify(prefix)} + ${bytes.length} random bytes`,
    raw: { data: Buffer.concat([Buffer.from(prefix), bytes]), endAfterMs: 20 },
    // After a valid start, random bytes may complete a request (any 4xx envelope will do) or leave one
    // unfinished when the client stops (no answer owed).
    allowed: ANY_CLIENT_ERROR,
    rule: 'not HTTP: any client error, or no answer',
    mayNotAnswer: true,
    following: ANY_CLIENT_ERROR,
  };
}

export function pipelined(c: Context): Case {
  const n = c.random.int(2, 10);
  const requests = Array.from({ length: n }, () => {
    const path = c.random.chance(0.5) ? `${COLLECTION}?per_page=1` : `${COLLECTION}/${uuid(c.random)}`;
    return `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer(c)}\r\n\r\n`;
  });
  requests.push('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const answers = [{ status: 200 }, { status: 404, code: 2002 }];
  return {
    kind: 'pipelined',
    label: `${n + 1} pipelined requests`,
    raw: { data: Buffer.from(requests.join('')) },
    allowed: answers,
    rule: 'each pipelined request answered in turn',
    following: answers,
  };
}

/**
 * §4: over the body limit → 413. The body goes in 64 KiB parts and stops once the server has answered: it may answer
 * on the declared length alone and close, and a client writing on would lose the answer to a reset.
 */
export function bodySize(c: Context): Case {
  const target = pickTarget(c);
  const body = Buffer.from(
    JSON.stringify({ name: 'big', id: 'x'.repeat(BODY_LIMIT + c.random.int(1, 4096)) }),
  );
  const chunked = c.random.chance(0.3);
  const headers: [string, string][] = [
    ['Authorization', bearer(c)],
    ['Content-Type', 'application/json'],
    ...(chunked ? [['Transfer-Encoding', 'chunked'] as [string, string]] : []),
  ];
  const head = rawBytes(target.method, target.path, headers, undefined, chunked ? null : body.length);
  const parts = Array.from({ length: Math.ceil(body.length / PART) }, (_, i) => {
    const part = body.subarray(i * PART, (i + 1) * PART);
    return chunked
      ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')])
      : part;
  });
  if (chunked) parts.push(Buffer.from('0\r\n\r\n'));
  return {
    kind: 'body-size',
    label: `${target.method} ${body.length}-byte body${chunked ? ', chunked' : ''}`,
    raw: { data: [head, ...parts], stopOnAnswer: true },
    ...bodyVerdict(target, body),
  };
}

const PART = 64 * 1024;
