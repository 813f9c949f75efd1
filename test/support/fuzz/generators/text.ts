// Text that is hard to get right: random Unicode in names and policy IDs, the characters §4 refuses in a name
// (controls, separators, invisible format characters) next to the emoji sequences it accepts, and bodies whose
// bytes are not UTF-8 at all (docs/contract.md §4).
import { type Case, type Context, fromTable, jsonCase, pickTarget, withField } from '../case.ts';

const UNICODE = [
  '\ud800',
  '\udfff',
  '\udc00\ud800',
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u202e',
  '\u200f',
  '\u200d',
  '\ufeff',
  '\u3000',
  '\u00a0',
  '\u2028',
  '\uffff',
  '\ufdd0',
  '\ue000',
  '🚀',
  '👩‍👩‍👧‍👦',
  '🇺🇳',
  'e\u0301',
  'ﷺ',
  '𝕏',
  'ß',
  'İ',
  ' ',
  '\t',
  '\n',
  '\r',
  'a',
  'ᚠ',
  '中',
  'עברית',
  'العربية',
  '\\',
  '"',
  '/',
  '\u061c',
  '\u180e',
];

const ESCAPES = [
  '\\ud800',
  '\\udfff',
  '\\u0000',
  '\\uD83D\\uDE80',
  '\\uDE80\\uD83D',
  '\\u202e',
  '\\x41',
  '\\u12',
  '\\U0001F680',
];

type Variant = (c: Context) => Case;

const UNICODE_VARIANTS: Variant[] = [
  (c) => {
    const target = pickTarget(c);
    const name = Array.from({ length: c.random.int(1, 12) }, () => c.random.pick(UNICODE)).join('');
    return jsonCase(c, 'unicode', `name ${JSON.stringify(name)}`, withField(c, 'name', name, target), target);
  },
  (c) => {
    const target = pickTarget(c);
    const unit = c.random.pick(['a', '🚀', 'e\u0301', '中', ' ', '\ud800']);
    const name = unit.repeat(c.random.pick([1, 127, 128, 254, 255, 256, 300]));
    const label = `name ${[...name].length} code points of ${JSON.stringify(unit)}`;
    return jsonCase(c, 'unicode', label, withField(c, 'name', name, target), target);
  },
  (c) => {
    const target = pickTarget(c);
    const id = Array.from({ length: c.random.int(1, 5) }, () => c.random.pick(UNICODE)).join('');
    return jsonCase(
      c,
      'unicode',
      `policy id ${JSON.stringify(id)}`,
      withField(c, 'policy_ids', [id], target),
      target,
    );
  },
  (c) => {
    const target = pickTarget(c);
    const sequence = c.random.pick(ESCAPES);
    const body = withField(c, 'name', 'XX', target).replace('XX', sequence);
    return jsonCase(c, 'unicode', `escape ${sequence} in name`, body, target);
  },
];

/** Random Unicode in names and policy IDs, lengths counted in code points, escapes. */
export const unicode = (c: Context): Case => fromTable(c, UNICODE_VARIANTS, (variant) => variant(c));

/** §4's name characters: what must be refused, and emoji sequences with U+200D that must be accepted. */
const NAMES = [
  'Ring\u202e0',
  'a\u200bb',
  '\ufeffRing',
  'Ring\u2028two',
  'Ring\u2029two',
  'a\u200db',
  '\u200d👩',
  '👩\u200d',
  '👩\u200d\u200d💻',
  'x\u2066y\u2069',
  'soft\u00adhyphen',
  'tag\u{e0041}',
  '\u061cRing',
  'Ring\u180e',
  '👩‍💻',
  'Ring 👩‍💻 team',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '👨🏽‍💻',
  '❤️‍🔥',
  'e\u0301',
  'no\u00a0break',
  'Ring 0',
];

const PLACES: ((name: string) => string)[] = [(n) => n, (n) => `Ring ${n}`, (n) => `${n} ring`];

/** A string as JSON text with every character outside printable ASCII written as a \\u escape. */
const escaped = (s: string) =>
  JSON.stringify(s).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A name from NAMES, alone or among other words, sent as UTF-8 or as JSON escapes (the same string). */
export function names(c: Context): Case {
  const target = pickTarget(c);
  const name = c.random.pick(PLACES)(c.random.pick(NAMES));
  const asEscapes = c.random.chance(0.3);
  const body = asEscapes
    ? withField(c, 'name', 'XX', target).replace('"XX"', escaped(name))
    : withField(c, 'name', name, target);
  return jsonCase(c, 'names', `name ${escaped(name)}${asEscapes ? ' as escapes' : ''}`, body, target);
}

/** Byte sequences that are not UTF-8: stray, overlong, surrogate, past U+10FFFF, cut short, Latin-1. */
const NOT_UTF8 = [
  [0xff],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0xe9],
  [0xfe, 0xff],
];
const UTF8_PLACES = ['name', 'policy id', 'key', 'between tokens', 'end'] as const;

/** A body with bytes that are not UTF-8, inside a string or outside one: 400 2003 (§4). */
export function invalidUtf8(c: Context): Case {
  const target = pickTarget(c);
  const bytes = Buffer.from(c.random.pick(NOT_UTF8));
  const where = c.random.pick(UTF8_PLACES);
  const text = {
    name: withField(c, 'name', 'XX', target),
    'policy id': withField(c, 'policy_ids', ['XX'], target),
    key: withField(c, 'name', 'ok', target).replace(/^{/, '{"XX":1,'),
    'between tokens': withField(c, 'name', 'ok', target).replace(/^{/, '{XX'),
    end: `${withField(c, 'name', 'ok', target)}XX`,
  }[where];
  const at = text.indexOf('XX');
  const body = Buffer.concat([Buffer.from(text.slice(0, at)), bytes, Buffer.from(text.slice(at + 2))]);
  return jsonCase(c, 'invalid-utf8', `bytes ${bytes.toString('hex')} in ${where}`, body, target);
}
