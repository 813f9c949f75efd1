// Header games: credentials of every shape and count (docs/contract.md §6), media types and charsets (§4),
// framing (Content-Length, Transfer-Encoding), Expect (§7), and the bodiless DELETE or GET that some SDKs
// send with a JSON Content-Type (§4). Most go over raw sockets, exactly as written.
import {
  ACCESS,
  bearer,
  type Case,
  COLLECTION,
  type Context,
  fromTable,
  randomSecret,
  randomText,
  rawBytes,
  rawCase,
  SECRET_ALPHABET,
  uuid,
  VERIFY,
  validGroupBody,
} from '../case.ts';
import {
  authVerdict,
  bodyVerdict,
  expectVerdict,
  type SentCredentials,
  type Target,
  type Verdict,
  writeVerdict,
} from '../oracle.ts';

const CREATE: Target = { mode: 'create', method: 'POST', path: COLLECTION, exists: false };
const JSON_TYPE: [string, string] = ['Content-Type', 'application/json'];
const malformedHttp = (rule: string): Verdict => ({ allowed: [{ status: 400, code: 2013 }], rule });

/** A create over a raw socket with these headers (the token first) and a valid body. */
function rawCreate(
  c: Context,
  kind: string,
  label: string,
  headers: [string, string][],
  verdict?: Verdict,
): Case {
  const body = Buffer.from(JSON.stringify(validGroupBody(c)));
  const data = rawBytes('POST', COLLECTION, [['Authorization', bearer(c)], ...headers], body);
  const type = headers.find(([name]) => name === 'Content-Type')?.[1];
  return rawCase(kind, label, data, verdict ?? writeVerdict(CREATE, type, body));
}

type Row = (c: Context, body: string) => Case;

/** Framing and header syntax: each row one way of getting HTTP itself wrong (or unusual but right). */
const ODD: Row[] = [
  (c) => {
    const type = c.random.pick([
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'application/json-patch+json',
      'text/json',
      'application/xml',
      '*/*',
      'json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json;charset=UTF-8',
      'Application/Json ; x=y',
    ]);
    return rawCreate(c, 'odd-headers', `Content-Type ${type}`, [['Content-Type', type]]);
  },
  (c) => rawCreate(c, 'odd-headers', 'no Content-Type on POST', []),
  (c, body) => {
    // Content-Length shorter than the body: the body is cut, the rest is read as the next request. When the
    // rest arrives with the request, that malformed "next request" may be answered (2013) before the first.
    const short = c.random.int(1, body.length - 1);
    const cut = bodyVerdict(CREATE, Buffer.from(body.slice(0, short)));
    const data = rawBytes('POST', COLLECTION, [['Authorization', bearer(c)], JSON_TYPE], body, short);
    return rawCase('odd-headers', `Content-Length ${short} < ${body.length}`, data, cut, {
      allowed: [...cut.allowed, { status: 400, code: 2013 }],
      following: [{ status: 400, code: 2013 }],
    });
  },
  (c, body) => {
    // Content-Length longer than the body, then the client stops: no answer is owed, but no 5xx either.
    const long = body.length + c.random.int(1, 100);
    const data = rawBytes('POST', COLLECTION, [['Authorization', bearer(c)], JSON_TYPE], body, long);
    const verdict = {
      allowed: [
        { status: 400, code: 2013 },
        { status: 400, code: 2003 },
      ],
      rule: 'a cut-off body',
    };
    return {
      ...rawCase('odd-headers', 'Content-Length > body, then EOF', data, verdict),
      raw: { data, endAfterMs: 20 },
      mayNotAnswer: true,
    };
  },
  (c, body) => {
    const chunked = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const headers: [string, string][] = [
      ['Authorization', bearer(c)],
      JSON_TYPE,
      ['Transfer-Encoding', 'chunked'],
    ];
    return rawCase('odd-headers', 'chunked body', rawBytes('POST', COLLECTION, headers, chunked, null), {
      allowed: [{ status: 200 }],
      rule: 'chunked framing',
    });
  },
  (c, body) => {
    const headers: [string, string][] = [
      ['Authorization', bearer(c)],
      JSON_TYPE,
      ['Transfer-Encoding', 'chunked'],
    ];
    const data = rawBytes('POST', COLLECTION, headers, body);
    return rawCase(
      'odd-headers',
      'Content-Length and Transfer-Encoding',
      data,
      malformedHttp('one framing only (§7 2013)'),
    );
  },
  (c, body) => {
    const headers: [string, string][] = [
      ['Authorization', bearer(c)],
      JSON_TYPE,
      ['Transfer-Encoding', 'chunked'],
    ];
    const data = rawBytes('POST', COLLECTION, headers, `zz\r\n${body}\r\n0\r\n\r\n`, null);
    return rawCase('odd-headers', 'bad chunk size', data, malformedHttp('chunk sizes are hex (§7 2013)'));
  },
  (c, body) => {
    const len = String(Buffer.byteLength(body));
    const value = c.random.pick([
      'abc',
      '-1',
      '1.5',
      '1e3',
      ' ',
      '99999999999999999999',
      '0x10',
      `${len}, ${len}`,
    ]);
    const data = rawBytes('POST', COLLECTION, [['Authorization', bearer(c)], JSON_TYPE], body, value);
    return rawCase('odd-headers', `Content-Length ${value}`, data, {
      allowed: [
        { status: 400, code: 2013 },
        { status: 413, code: 2005 },
      ],
      rule: 'Content-Length is one decimal number (§7 2013)',
    });
  },
  (c) => {
    const many = Array.from({ length: c.random.int(50, 300) }, (_, i): [string, string] => [
      `X-Fuzz-${i}`,
      'v'.repeat(c.random.int(0, 30)),
    ]);
    const data = rawBytes('GET', COLLECTION, [['Authorization', bearer(c)], ...many]);
    return rawCase('odd-headers', `${many.length} extra headers`, data, {
      allowed: [{ status: 200 }],
      rule: 'list (§1)',
    });
  },
  (c) => {
    const bad = c.random.pick([
      'X-Ctl: a\u0001b',
      'X Space: v',
      'X-Nul: \u0000',
      ': empty-name',
      'X-Bare-CR: a\rb',
      'Authorization: Bearer a\u007fb',
    ]);
    const data = Buffer.from(`GET ${COLLECTION} HTTP/1.1\r\nHost: x\r\n${bad}\r\n\r\n`, 'latin1');
    return rawCase(
      'odd-headers',
      `invalid header ${JSON.stringify(bad)}`,
      data,
      malformedHttp('header syntax (§7 2013)'),
    );
  },
  (c) => {
    const value = `Bearer \u00e9\u00ff${c.token.slice(0, 10)}`;
    const data = Buffer.from(
      `GET ${COLLECTION} HTTP/1.1\r\nHost: x\r\nAuthorization: ${value}\r\nConnection: close\r\n\r\n`,
      'latin1',
    );
    return rawCase('odd-headers', 'non-ASCII bytes in Authorization', data, {
      allowed: [{ status: 400, code: 6003 }],
      rule: 'credentials: well-formed',
    });
  },
  (c) =>
    rawCreate(
      c,
      'odd-headers',
      'Content-Encoding gzip on a plain body',
      [JSON_TYPE, ['Content-Encoding', 'gzip']],
      {
        allowed: [{ status: 200 }, { status: 415, code: 2006 }, { status: 400, code: 2003 }],
        rule: 'Content-Encoding (not in the contract: served, 415 or 2003)',
      },
    ),
];

export const oddHeaders = (c: Context): Case =>
  fromTable(c, ODD, (row) => row(c, JSON.stringify(validGroupBody(c))));

const CHARSETS = [
  'latin1',
  'iso-8859-1',
  'ISO-8859-1',
  'utf-16',
  'UTF-16LE',
  'utf-32',
  'windows-1252',
  '"latin1"',
  'utf-8',
  'UTF-8',
  '"utf-8"',
];

/** §4: a JSON body in a charset other than UTF-8 → 415, whatever the bytes. */
export function charset(c: Context): Case {
  const value = c.random.pick(CHARSETS);
  const type = `application/json${c.random.pick(['; ', ';'])}charset=${value}`;
  const json = JSON.stringify(validGroupBody(c, { name: `Zürich ${c.counter}` }));
  const encoding = /16/.test(value) ? 'utf16le' : /latin1|8859|1252/i.test(value) ? 'latin1' : 'utf8';
  const body = Buffer.from(json, encoding);
  const data = rawBytes(
    'POST',
    COLLECTION,
    [
      ['Authorization', bearer(c)],
      ['Content-Type', type],
    ],
    body,
  );
  return rawCase(
    'charset',
    `Content-Type ${type}, body in ${encoding}`,
    data,
    writeVerdict(CREATE, type, body),
  );
}

/** §7: Expect other than 100-continue → 417 2015, with or without a body, before anything else. */
export function expect(c: Context): Case {
  const value = c.random.pick(['foo', '200-ok', 'bar=baz', '101-switching', '100-continue', '100-CONTINUE']);
  if (c.random.chance(0.5)) {
    const data = rawBytes('GET', COLLECTION, [
      ['Authorization', bearer(c)],
      ['Expect', value],
    ]);
    return rawCase(
      'expect',
      `GET with Expect: ${value}`,
      data,
      expectVerdict(value, { allowed: [{ status: 200 }], rule: 'list (§1)' }),
    );
  }
  const body = Buffer.from(JSON.stringify(validGroupBody(c)));
  const data = rawBytes(
    'POST',
    COLLECTION,
    [['Authorization', bearer(c)], JSON_TYPE, ['Expect', value]],
    body,
  );
  return rawCase(
    'expect',
    `POST with Expect: ${value}`,
    data,
    expectVerdict(value, bodyVerdict(CREATE, body)),
  );
}

/** Credential headers with one of them twice, some with a valid copy. */
const DUPLICATED = (bearer: string, key: string): [string, string][][] => [
  [
    ['Authorization', bearer],
    ['Authorization', 'Bearer nope'],
  ],
  [
    ['Authorization', 'Bearer nope'],
    ['Authorization', bearer],
  ],
  [
    ['Authorization', bearer],
    ['Authorization', bearer],
  ],
  [
    ['X-Auth-Key', key],
    ['X-Auth-Key', key],
    ['X-Auth-Email', 'ops@example.com'],
  ],
  [
    ['X-Auth-Key', key],
    ['X-Auth-Email', 'ops@example.com'],
    ['X-Auth-Email', 'other@example.com'],
  ],
  [
    ['Authorization', bearer],
    ['X-Auth-Email', 'ops@example.com'],
    ['X-Auth-Email', 'ops@example.com'],
  ],
];
const CREDENTIAL_HEADERS = {
  authorization: 'Authorization',
  key: 'X-Auth-Key',
  email: 'X-Auth-Email',
} as const;

/** §6: the same credential header twice → 400 6003, whichever copy is valid. */
export function duplicateCredentials(c: Context): Case {
  const key = randomSecret(c.random, 'rmk_');
  const headers = c.random.pick(DUPLICATED(bearer(c), key));
  const sent: SentCredentials = {};
  for (const [field, header] of Object.entries(CREDENTIAL_HEADERS) as [keyof SentCredentials, string][]) {
    const values = headers.filter(([name]) => name === header).map(([, value]) => value);
    if (values.length > 0) sent[field] = values;
  }
  const verdict = authVerdict(sent, new Set([c.token]), false);
  const shown = (value: string) => (value === bearer(c) ? 'Bearer <valid>' : value.slice(0, 12));
  const label = headers.map(([name, value]) => `${name}: ${shown(value)}`).join(', ');
  const served: Verdict = { allowed: [{ status: 200 }], rule: 'list (§1)' };
  return rawCase(
    'duplicate-credentials',
    label,
    rawBytes('GET', COLLECTION, headers),
    verdict === 'pass' ? served : verdict,
    {
      secrets: [key],
    },
  );
}

const BODILESS_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
];

/**
 * §4: a request without a body to a route that takes none is served whatever its Content-Type — Cloudflare's
 * Python SDK sends `Content-Type: application/json` with an empty body on every DELETE.
 */
export function bodiless(c: Context): Case {
  const type = c.random.pick(BODILESS_TYPES);
  const length: [string, string][] = c.random.chance(0.5) ? [['Content-Length', '0']] : [];
  const created = c.created.at(-1);
  const routes: [string, string, Verdict][] = [
    ['GET', `${COLLECTION}?per_page=5`, { allowed: [{ status: 200 }], rule: 'list (§1)' }],
    ['GET', `${COLLECTION}/${c.random.pick(c.stable)}`, { allowed: [{ status: 200 }], rule: 'get (§1)' }],
    ['GET', VERIFY, { allowed: [{ status: 200 }], rule: 'verify (§1)' }],
    [
      'DELETE',
      `${COLLECTION}/${uuid(c.random)}`,
      { allowed: [{ status: 404, code: 2002 }], rule: 'delete: unknown group' },
    ],
  ];
  if (created)
    routes.push(['DELETE', `${COLLECTION}/${created}`, { allowed: [{ status: 200 }], rule: 'delete (§1)' }]);
  const [method, path, verdict] = c.random.pick(routes);
  if (created && path.endsWith(created)) c.created.pop();
  const data = rawBytes(
    method,
    path,
    [['Authorization', bearer(c)], ['Content-Type', type], ...length],
    undefined,
    null,
  );
  return rawCase(
    'bodiless',
    `${method} ${path.slice(COLLECTION.length) || 'list'}, Content-Type ${type}${length.length ? ', Content-Length 0' : ''}`,
    data,
    {
      ...verdict,
      rule: `a request without a body is served whatever its Content-Type (§4): ${verdict.rule}`,
    },
  );
}

/** §6: every shape of credentials on the group routes, the access route (§8.0) and /user/tokens/verify. */
export function auth(c: Context): Case {
  const r = c.random;
  const verifyRoute = r.chance(0.3);
  const path = verifyRoute ? VERIFY : r.pick([COLLECTION, `${COLLECTION}/${r.pick(c.stable)}`, ACCESS]);
  const secret = (n: number) => randomText(r, n, SECRET_ALPHABET);
  const printable = (n: number) =>
    Array.from({ length: n }, () => String.fromCharCode(r.int(0x20, 0x7e))).join('');
  const variants: (() => { authorization?: string; key?: string; email?: string })[] = [
    () => ({ authorization: `Bearer ${randomSecret(r, 'rmt_')}` }),
    () => ({ authorization: `Bearer ${secret(r.pick([1, 511, 512, 513, 2000]))}` }),
    () => ({ authorization: printable(r.int(0, 80)) }),
    () => ({
      authorization: `${r.pick(['Bearer', 'bearer', 'BEARER', 'Basic', 'Token', 'Bearer:', ''])}${r.pick([' ', '  ', '\t', ''])}${r.pick([c.token, secret(20)])}${r.pick(['', ' ', ' x', '\t'])}`,
    }),
    () => ({ authorization: `Bearer ${c.token.slice(0, -1)}${r.pick(['A', 'b', '_'])}` }),
    () => ({ key: randomSecret(r, 'rmk_'), email: r.pick(['ops@example.com', 'x@y', '', ' ']) }),
    () => ({ key: printable(r.int(0, 60)), email: 'ops@example.com' }),
    () => (r.chance(0.5) ? { key: randomSecret(r, 'rmk_') } : { email: 'ops@example.com' }),
    () => ({ key: c.token, email: 'ops@example.com' }),
    () => ({ authorization: bearer(c), key: randomSecret(r, 'rmk_'), email: 'ops@example.com' }),
    () => ({}),
    () => ({ authorization: `Bearer ${'A'.repeat(r.pick([4096, 12_000]))}` }),
  ];
  const variant = r.int(0, variants.length - 1);
  const chosen = (variants[variant] as (typeof variants)[number])();
  const sent: Record<string, string> = {};
  if (chosen.authorization !== undefined) sent.authorization = chosen.authorization;
  if (chosen.key !== undefined) sent['x-auth-key'] = chosen.key;
  if (chosen.email !== undefined) sent['x-auth-email'] = chosen.email;
  const once = (v: string | undefined) => (v === undefined ? undefined : [v]);
  const verdict = authVerdict(
    { authorization: once(chosen.authorization), key: once(chosen.key), email: once(chosen.email) },
    new Set([c.token]),
    verifyRoute,
  );
  const secrets = [chosen.authorization, chosen.key].flatMap((v) => v?.match(/rm[kt]_[\w-]{43}/g) ?? []);
  return {
    kind: 'auth',
    secrets,
    label: `auth variant ${variant} on ${path === ACCESS ? 'access' : verifyRoute ? 'verify' : 'groups'}: ${JSON.stringify(sent).slice(0, 100)}`,
    http: { method: 'GET', path, headers: sent },
    ...(verdict === 'pass' ? { allowed: [{ status: 200 }], rule: 'credentials: valid' } : verdict),
  };
}
