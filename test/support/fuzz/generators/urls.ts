// Request lines: long and odd paths, query strings (docs/contract.md §4 paging), methods no route serves, and
// secrets written into the URL, which no answer may echo (docs/security.md). Sent raw, exactly as generated.
import { ACCOUNT } from '../../accounts.ts';
import {
  bearer,
  type Case,
  COLLECTION,
  type Context,
  randomSecret,
  randomText,
  rawBytes,
  rawCase,
  uuid,
  VERIFY,
} from '../case.ts';
import { type Outcome, queryVerdict, type Verdict } from '../oracle.ts';

const notFound = (rule = 'no such route (§7 7003)'): Verdict => ({
  allowed: [{ status: 404, code: 7003 }],
  rule,
});
const tooLong: Verdict = {
  allowed: [{ status: 431, code: 2012 }],
  rule: 'request line over 16 KiB (§7 2012)',
};
const URL_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_.~%';

const ODD_PATHS = (c: Context) => [
  `/client/v4/accounts/../accounts/${ACCOUNT}/devices/deployment-groups`,
  `/client/v4/accounts/${ACCOUNT}/devices/deployment-groups/..`,
  `/client/v4/accounts/${ACCOUNT}/devices/%2e%2e/deployment-groups`,
  `//client/v4/accounts/${ACCOUNT}/devices/deployment-groups`,
  `/client/v4/accounts/${ACCOUNT}//devices/deployment-groups`,
  `/client/v4/accounts/${ACCOUNT}/devices/deployment-groups%2f${uuid(c.random)}`,
  `/CLIENT/V4/accounts/${ACCOUNT}/devices/deployment-groups`,
  '/client/v4/%',
  '/client/v4/%zz',
  '/client/v4/%E0%A4%A',
  '/client/v4/%00',
  '/client/v4/%ff%fe',
  '/client/v4/accounts/%F0%9F%9A%80/devices/deployment-groups',
  '/client/v4/accounts/\u00e9/devices/deployment-groups',
  `${COLLECTION}/`,
  `${COLLECTION}/${uuid(c.random)}/`,
  `${COLLECTION}/${uuid(c.random)}/extra`,
  `${COLLECTION};x=1`,
  '/client/v4',
  '/client/v4/',
  '/client',
  `/client/v4/accounts/${ACCOUNT}`,
];

/** Each row: a path and what it must get. */
const PATHS: ((c: Context) => [string, Verdict])[] = [
  (c) => [
    `/client/v4/${randomText(c.random, c.random.pick([100, 1000, 8000, 15_000]), URL_CHARS)}`,
    notFound(),
  ],
  (c) => [`/client/v4/${randomText(c.random, c.random.int(17_000, 40_000), URL_CHARS)}`, tooLong],
  (c) => [
    `${COLLECTION}/${randomText(c.random, c.random.pick([36, 37, 99, 100]), URL_CHARS).replaceAll('%', 'p')}`,
    { allowed: [{ status: 404, code: 2002 }], rule: 'a group id that is not a group (§5)' },
  ],
  (c) => [
    `${COLLECTION}/${'a'.repeat(c.random.int(101, 5000))}`,
    notFound('a path parameter over 100 characters'),
  ],
  (c) => [
    `/client/v4/accounts/${c.random.pick([ACCOUNT.toUpperCase(), ACCOUNT.slice(1), `${ACCOUNT}0`, 'x'.repeat(32), '%3g'.repeat(11), ''])}/devices/deployment-groups`,
    notFound('account IDs are 32 lowercase hex digits'),
  ],
  // Some of these name a group that is not there rather than no route at all; a raw non-ASCII byte in the
  // request line is not HTTP at all.
  (c) => [
    c.random.pick(ODD_PATHS(c)),
    {
      allowed: [...notFound().allowed, { status: 404, code: 2002 }, { status: 400, code: 2013 }],
      rule: 'odd paths',
    },
  ],
  (c) => [
    `${COLLECTION}?${randomText(c.random, c.random.int(1000, 12_000), URL_CHARS)}`,
    { allowed: [{ status: 200 }], rule: 'unknown query parameters are ignored (§4)' },
  ],
  (c) => [`${COLLECTION}?${randomText(c.random, c.random.int(17_000, 30_000), URL_CHARS)}`, tooLong],
  (c) => [
    `/${randomText(c.random, c.random.int(1, 2000), URL_CHARS)}`.replace(/^\/(healthz|readyz|metrics)/, '/x'),
    notFound(),
  ],
  (c) => [`${COLLECTION}/${uuid(c.random)}${'/x'.repeat(c.random.int(1, 3000))}`, notFound()],
];

export function longPaths(c: Context): Case {
  const [path, verdict] = c.random.pick(PATHS)(c);
  const data = Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer(c)}\r\nConnection: close\r\n\r\n`,
    'latin1',
  );
  return rawCase(
    'long-paths',
    `${path.length}-char path ${JSON.stringify(path.slice(0, 70))}`,
    data,
    verdict,
  );
}

const QUERY_KEYS = (c: Context) => [
  'page',
  'per_page',
  'page[]',
  'per_page[0]',
  '__proto__',
  'constructor',
  'name',
  '',
  'a'.repeat(c.random.int(1, 500)),
  'PAGE',
  'x',
];
const QUERY_VALUES = (c: Context) => [
  '1',
  '2',
  '50',
  '100',
  '101',
  '0',
  '-1',
  '',
  '1.0',
  '1e1',
  'abc',
  'true',
  '[]',
  '%',
  '\u00e9',
  '🚀',
  'null',
  '1'.repeat(c.random.int(1, 50)),
];

/** Random query strings on the list route, some parameters repeated, some not percent-encoded. */
export function queryStrings(c: Context): Case {
  const r = c.random;
  const params: [string, string][] = Array.from({ length: r.int(0, 6) }, () => [
    r.pick(QUERY_KEYS(c)),
    r.pick(QUERY_VALUES(c)),
  ]);
  const separator = r.pick(['&', '&&', ';']);
  const encode = (s: string) =>
    r.chance(0.8) ? encodeURIComponent(s) : s.replace(/[^!-~]/gu, (ch) => encodeURIComponent(ch));
  const query = params.map(([k, v]) => `${encode(k)}=${encode(v)}`).join(separator);
  const hasRawPercent = query.split(/[&;=]/).some((part) => /%(?![0-9A-Fa-f]{2})/.test(part));
  // With ';' the whole string is one parameter named by its first key; a stray '%' decodes unpredictably.
  const verdict: Verdict =
    hasRawPercent || separator === ';'
      ? { allowed: [{ status: 200 }, { status: 400, code: 2001 }], rule: 'a query no parser reads alike' }
      : queryVerdict(params);
  return {
    kind: 'query-strings',
    label: `?${query.slice(0, 80)}`,
    http: { method: 'GET', path: `${COLLECTION}?${query}`, headers: { authorization: bearer(c) } },
    ...verdict,
  };
}

/** §4: page and per_page in decimal digits only; every other way of writing a number → 400 2001. */
const PAGING_VALUES = [
  '0x10',
  '1e2',
  '1E1',
  '%2010',
  '+5',
  '%2B5',
  '%205',
  '5%20',
  '%095',
  '1.0',
  '1.',
  '.5',
  '٣',
  '５',
  '0010',
  '10',
  '007',
  '1_0',
  '1,0',
  '9007199254740991',
  '9007199254740992',
  '-0',
  'Infinity',
  '',
];

export function pagingDigits(c: Context): Case {
  const name = c.random.pick(['page', 'per_page']);
  const written = c.random.pick(PAGING_VALUES);
  // The value as the server's query parser reads it: percent-decoded, '+' as a space.
  const value = decodeURIComponent(written.replaceAll('+', ' '));
  const query = `${name}=${/^[\x21-\x7e]*$/.test(written) ? written : encodeURIComponent(written)}`;
  return {
    kind: 'paging-digits',
    label: `list ?${query}`,
    http: { method: 'GET', path: `${COLLECTION}?${query}`, headers: { authorization: bearer(c) } },
    ...queryVerdict([[name, value]]),
  };
}

const ROUTES = (c: Context) => [
  // The item route names a group that does not exist, so that a DELETE cannot remove a fuzz target.
  { path: COLLECTION, served: ['GET', 'HEAD', 'POST'], found: true },
  { path: `${COLLECTION}/${uuid(c.random)}`, served: ['GET', 'HEAD', 'PATCH', 'DELETE'], found: false },
  { path: VERIFY, served: ['GET', 'HEAD'], found: true },
];
const FASTIFY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const WEBDAV = ['TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'PURGE', 'SEARCH', 'REPORT'];
const METHODS = [
  'PUT',
  'OPTIONS',
  'PATCH',
  'POST',
  'DELETE',
  'HEAD',
  'GET',
  ...WEBDAV,
  'get',
  'GETT',
  'G\u00c9T',
  'BREW',
  '',
];

function methodVerdict(method: string, route: ReturnType<typeof ROUTES>[number]): Verdict {
  const verdict = (rule: string, ...allowed: Outcome[]) => ({ allowed, rule });
  if (FASTIFY_METHODS.includes(method) && !route.served.includes(method)) {
    return verdict('method not allowed (§7 2010)', { status: 405, code: 2010 });
  }
  if (method === 'POST' || method === 'PATCH')
    return verdict('a write without a JSON body (§4)', { status: 415, code: 2006 });
  if (FASTIFY_METHODS.includes(method)) {
    return route.found
      ? verdict('served', { status: 200 })
      : verdict('unknown group', { status: 404, code: 2002 });
  }
  if (WEBDAV.includes(method))
    return verdict('a method no route knows', { status: 404, code: 7003 }, { status: 405, code: 2010 });
  return verdict('not an HTTP method (§7 2013)', { status: 400, code: 2013 });
}

export function wrongMethods(c: Context): Case {
  const route = c.random.pick(ROUTES(c));
  const method = c.random.pick(METHODS);
  const data = Buffer.from(
    `${method} ${route.path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer(c)}\r\nConnection: close\r\n\r\n`,
    'latin1',
  );
  const label = `${JSON.stringify(method)} ${route.path.slice(-40)}`;
  return {
    ...rawCase('wrong-methods', label, data, methodVerdict(method, route)),
    raw: { data, head: method === 'HEAD' },
  };
}

/** Ways to write a secret into a URL; the server must not echo it, raw or decoded (docs/security.md). */
const SECRET_PLACES: ((secret: string) => [string, Verdict])[] = [
  (s) => [`/client/v4/a_${s}`, notFound()],
  (s) => [`/client/v4/x%22${s}`, notFound()],
  (s) => [`/client/v4/${s}`, notFound()],
  (s) => [`/client/v4/accounts/${ACCOUNT}/x-${s}`, notFound()],
  (s) => [`/client/v4/${s.replace('_', '%5F')}`, notFound()],
  (s) => [
    `/client/v4/${encodeURIComponent(s).replace(/./g, (ch) => `%${ch.charCodeAt(0).toString(16)}`)}`,
    notFound(),
  ],
  (s) => [`/nowhere?auth=Bearer%20${s}`, notFound()],
  (s) => [`/client/v4/nowhere?token=${s}`, notFound()],
  (s) => [
    `${COLLECTION}?auth=Bearer%20${s}`,
    { allowed: [{ status: 200 }], rule: 'unknown query parameters are ignored (§4)' },
  ],
  (s) => [
    `${COLLECTION}/${s}`,
    { allowed: [{ status: 404, code: 2002 }], rule: 'a group id that is not a group (§5)' },
  ],
];

export function secretsInUrls(c: Context): Case {
  const secret = randomSecret(c.random, c.random.pick(['rmt_', 'rmk_'] as const));
  const [path, verdict] = c.random.pick(SECRET_PLACES)(secret);
  const data = rawBytes('GET', path, [['Authorization', bearer(c)]]);
  return rawCase('secrets-in-urls', `GET ${path.replace(secret.slice(4), '<secret>')}`, data, verdict, {
    // The random part is what must not come back; the prefix alone (`rmt_`) is no secret.
    secrets: [secret.slice(4)],
  });
}
