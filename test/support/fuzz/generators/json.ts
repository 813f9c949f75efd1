// Bodies that are not the JSON a write takes: malformed, deeply nested, with numbers no double can hold,
// and with each field's value of the wrong type or shape. The oracle judges every body (docs/contract.md §4).
import type { Random } from '../../random.ts';
import {
  bearer,
  type Case,
  COLLECTION,
  type Context,
  jsonCase,
  pickTarget,
  validGroupBody,
  withField,
} from '../case.ts';
import { queryVerdict } from '../oracle.ts';

/** Ways to spoil a valid body's text. */
const MALFORMED: Record<string, (valid: string, r: Random) => string> = {
  truncated: (valid, r) => valid.slice(0, r.int(0, valid.length - 1)),
  garbage: (_, r) =>
    Array.from({ length: r.int(1, 200) }, () => String.fromCharCode(r.int(32, 126))).join(''),
  mutated: (valid, r) => {
    const chars = [...valid];
    for (let i = r.int(1, 4); i > 0; i--) {
      chars[r.int(0, chars.length - 1)] = r.pick([
        '{',
        '}',
        '[',
        ']',
        '"',
        ',',
        ':',
        '\\',
        'x',
        ' ',
        '\u0000',
      ]);
    }
    return chars.join('');
  },
  'trailing-comma': (valid) => valid.replace(/}$/, ',}'),
  'single-quotes': (valid) => valid.replaceAll('"', "'"),
  literals: (valid, r) =>
    valid.replace(
      /"version":"[^"]+"/,
      `"version":${r.pick(['NaN', 'Infinity', '-Infinity', 'undefined', '0x10', '.5', '1.', '+1', '01'])}`,
    ),
  comment: (valid) => `/* hi */${valid}`,
  bom: (valid) => `\ufeff${valid}`,
  empty: (_, r) => r.pick(['', ' ', '\n', '\t\r\n']),
  'duplicate-keys': (valid, r) => valid.replace(/^{/, `{"name":${r.pick(['1', 'null', '"ok"', '[]'])},`),
  proto: (valid) => valid.replace(/^{/, `{"__proto__":{"polluted":1},`),
  constructor: (valid: string) => valid.replace(/^{/, `{"constructor":{"prototype":{"polluted":1}},`),
  'escaped-proto': (valid) => valid.replace(/^{/, `{"\\u005f_proto__":{"polluted":1},`),
  'bare-value': (_, r) => r.pick(['null', 'true', '1', '"string"', '[]', '[{}]', '1e400', '-0']),
  concatenated: (valid) => `${valid}${valid}`,
  whitespace: (valid) => `\n\t ${valid} \r\n`,
};

export function jsonMalformed(c: Context): Case {
  const target = pickTarget(c);
  const valid = JSON.stringify(
    target.mode === 'create' ? validGroupBody(c) : { name: 'x', policy_ids: ['a'] },
  );
  const variant = c.random.pick(Object.keys(MALFORMED));
  return jsonCase(
    c,
    'json-malformed',
    variant,
    (MALFORMED[variant] as (typeof MALFORMED)[string])(valid, c.random),
    target,
  );
}

const DEEP_PLACES = ['top', 'name', 'version_config', 'policy_ids', 'id', 'extra', 'entry'] as const;

export function jsonDeep(c: Context): Case {
  const r = c.random;
  const depth = r.pick([1000, 10_000, 50_000, 100_000]);
  const arrays = r.chance(0.5);
  const deep = arrays
    ? '['.repeat(depth) + ']'.repeat(depth)
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const where = r.pick(DEEP_PLACES);
  const target = pickTarget(c);
  let body: string;
  if (where === 'top') body = deep;
  else if (where === 'entry')
    body = `{"name":"deep","version_config":[{"target_environment":null,"version":${deep}}]}`;
  else body = withField(c, where, 0, target).replace(`"${where}":0`, `"${where}":${deep}`);
  if (r.chance(0.1)) body = body.replace(/^\{/, '{"__proto__":1,');
  return jsonCase(
    c,
    'json-deep',
    `${depth} nested ${arrays ? 'arrays' : 'objects'} in ${where}`,
    body,
    target,
  );
}

const HUGE = [
  '1e400',
  '-1e400',
  '1e308',
  '9007199254740993',
  '18446744073709551616',
  '1e-400',
  '-0',
  '0.1e1',
  `1${'0'.repeat(400)}`,
  '4.9e-324',
];
const PAGE_VALUES = [
  ...HUGE,
  '1',
  '100',
  '101',
  '0',
  '-1',
  '1.5',
  'NaN',
  'Infinity',
  '0x10',
  '0b1',
  ' 7',
  '',
  '1e2',
];
const HUGE_FIELDS = ['name', 'version_config', 'policy_ids', 'id', 'version', 'target_environment'] as const;

/** Numbers no double holds exactly, in the query string or in any field of a body. */
export function hugeNumbers(c: Context): Case {
  const r = c.random;
  if (r.chance(0.5)) {
    const params: [string, string][] = [[r.pick(['page', 'per_page']), r.pick(PAGE_VALUES)]];
    const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    return {
      kind: 'huge-numbers',
      label: `list ?${query.slice(0, 60)}`,
      http: { method: 'GET', path: `${COLLECTION}?${query}`, headers: { authorization: bearer(c) } },
      ...queryVerdict(params),
    };
  }
  const target = pickTarget(c);
  const field = r.pick(HUGE_FIELDS);
  const number = r.pick(HUGE);
  const body =
    field === 'version' || field === 'target_environment'
      ? `{"name":"n","version_config":[{"target_environment":${field === 'target_environment' ? number : 'null'},"version":${field === 'version' ? number : '"2026.1.1.0"'}}]}`
      : withField(c, field, 0, target).replace(`"${field}":0`, `"${field}":${number}`);
  return jsonCase(c, 'huge-numbers', `${field}=${number.slice(0, 20)}`, body, target);
}

const FIELDS = ['name', 'version_config', 'policy_ids', 'id', 'created_at', 'policy_id', 'extra'];
const WRONG_VALUES: unknown[] = [
  0,
  -1,
  1.5,
  true,
  false,
  null,
  '',
  'x',
  [],
  {},
  [1],
  [null],
  [[]],
  [{}],
  { a: 1 },
  ['a', 1],
  [true],
  [{ target_environment: 'windows' }],
  [{ version: '2026.1.1.0' }],
  [{ target_environment: 'linux', version: '2026.1.1.0' }],
  [{ target_environment: 'windows', version: '2026.13.1.0' }],
  [{ target_environment: 'windows', version: '26.1.1.0' }],
  [{ target_environment: 'windows', version: '2026.1.1.0', extra: 1 }],
  [
    { target_environment: null, version: '2026.1.1.0' },
    { target_environment: null, version: '2026.2.1.0' },
  ],
  ['ok', 'ok'],
  ['has space'],
  ['a'.repeat(37)],
  ['tab\t'],
  ['ünï'],
];

/** A field (or an unknown one) with a value of the wrong type or shape; sometimes two of them. */
export function wrongTypes(c: Context): Case {
  const r = c.random;
  const target = pickTarget(c);
  const field = r.pick(FIELDS);
  const value = r.pick(WRONG_VALUES);
  let body = withField(c, field, value, target);
  if (r.chance(0.2)) {
    const other = withField(c, r.pick(FIELDS), r.pick(WRONG_VALUES), { ...target, mode: 'update' });
    body = other.replace(/}$/, `,${body.slice(1)}`);
  }
  return jsonCase(c, 'wrong-types', `${field}=${JSON.stringify(value).slice(0, 40)}`, body, target);
}
