// `amplification`: bodies built to make validation answer with more than they sent — thousands of array items
// or unknown keys, up to the body limit. §4: at most 100 error objects (the last one a count when there were
// more), an oversized array or object is one violation whose items are not checked, and the answer stays small.
import type { Expectations } from '../answer.ts';
import { type Case, type Context, jsonCase, pickTarget } from '../case.ts';
import {
  BODY_LIMIT,
  MAX_BODY_FIELDS,
  MAX_ENTRIES,
  MAX_ENTRY_FIELDS,
  MAX_ERRORS,
  MAX_POLICY_IDS,
  type Target,
} from '../oracle.ts';

const VALID_ENTRY = '{"target_environment":"windows","version":"2026.6.822.0"}';

/** A body around a list of `n` generated items; `fill` means as many as fit in the body limit. */
interface Shape {
  label: string;
  /** Item `i`; every item has the same length, so that the count that fills the limit is exact. */
  item: (i: number) => string;
  /** The body around the items (joined with commas); `list` may appear `copies` times. */
  wrap: (list: string, create: boolean) => string;
  copies?: number;
  sizes: (number | 'fill')[];
  /** What §4 says of `n` items beyond "400 2001, at most 100 errors, a small answer". */
  expect?: (n: number, create: boolean) => Expectations;
}

const name = (create: boolean) => (create ? '"name":"amplified",' : '');
const withVersions = (create: boolean) =>
  create ? `"name":"amplified","version_config":[${VALID_ENTRY}],` : '';
const key = (i: number) => `"k${i.toString(36).padStart(4, '0')}":0`;

/** Over the limit: one violation and no item checked; within it but all items bad: more than 100 violations. */
const overOrCapped = (field: string, limit: number) => (n: number) =>
  n > limit ? { unlisted: [`/${field}/`] } : n > MAX_ERRORS ? { capped: true } : {};

const SHAPES: Shape[] = [
  {
    label: 'version_config: [{}, …]',
    item: () => '{}',
    wrap: (list, create) => `{${name(create)}"version_config":[${list}]}`,
    sizes: [MAX_ENTRIES, MAX_ENTRIES + 1, 1000, 'fill'],
    expect: (n) => (n > MAX_ENTRIES ? { unlisted: ['/version_config/'] } : {}),
  },
  {
    label: 'version_config: [null, …]',
    item: () => 'null',
    wrap: (list, create) => `{${name(create)}"version_config":[${list}]}`,
    sizes: [MAX_ENTRIES, MAX_ENTRIES + 1, 'fill'],
    expect: (n) => (n > MAX_ENTRIES ? { unlisted: ['/version_config/'] } : {}),
  },
  {
    label: 'policy_ids: ["", …]',
    item: () => '""',
    wrap: (list, create) => `{${withVersions(create)}"policy_ids":[${list}]}`,
    sizes: [MAX_ERRORS + 1, MAX_POLICY_IDS, MAX_POLICY_IDS + 1, 'fill'],
    expect: overOrCapped('policy_ids', MAX_POLICY_IDS),
  },
  {
    label: 'policy_ids: [numbers, …]',
    item: (i) => String(1_000_000 + i),
    wrap: (list, create) => `{${withVersions(create)}"policy_ids":[${list}]}`,
    sizes: [MAX_ERRORS + 1, MAX_POLICY_IDS, MAX_POLICY_IDS + 1, 'fill'],
    expect: overOrCapped('policy_ids', MAX_POLICY_IDS),
  },
  {
    label: 'unknown keys',
    item: key,
    wrap: (list, create) => `{${withVersions(create)}${list}}`,
    sizes: [MAX_BODY_FIELDS - 2, MAX_BODY_FIELDS - 1, MAX_ERRORS + 1, 5000, 'fill'],
    // Past 32 fields the body is one violation: no unknown key is named.
    expect: (n, create) => (n + (create ? 2 : 0) > MAX_BODY_FIELDS ? { unlisted: ['/k'] } : {}),
  },
  {
    label: 'unknown keys in a version_config entry',
    item: key,
    wrap: (list, create) =>
      `{${name(create)}"version_config":[{"target_environment":"windows","version":"2026.6.822.0",${list}}]}`,
    sizes: [MAX_ENTRY_FIELDS - 2, MAX_ENTRY_FIELDS - 1, MAX_ERRORS + 1, 'fill'],
    expect: (n) => (n + 2 > MAX_ENTRY_FIELDS ? { unlisted: ['/version_config/0/k'] } : {}),
  },
  {
    label: `unknown keys in each of ${MAX_ENTRIES} entries`,
    item: key,
    wrap: (list, create) =>
      `{${name(create)}"version_config":[${Array(MAX_ENTRIES).fill(`{${list}}`).join(',')}]}`,
    copies: MAX_ENTRIES,
    sizes: [MAX_ENTRY_FIELDS, MAX_ENTRY_FIELDS + 1, 'fill'],
    // Within 8 fields, each entry breaks 10 rules (8 unknown keys, 2 missing): 160 in all. Past it, each entry is
    // one violation.
    expect: (n) =>
      n > MAX_ENTRY_FIELDS
        ? { unlisted: Array.from({ length: MAX_ENTRIES }, (_, i) => `/version_config/${i}/k`) }
        : { capped: true },
  },
  {
    label: `unknown keys in each of ${MAX_ENTRIES + 1} entries`,
    item: key,
    wrap: (list, create) =>
      `{${name(create)}"version_config":[${Array(MAX_ENTRIES + 1)
        .fill(`{${list}}`)
        .join(',')}]}`,
    copies: MAX_ENTRIES + 1,
    sizes: [MAX_ENTRY_FIELDS, 'fill'],
    expect: () => ({ unlisted: ['/version_config/'] }),
  },
];

/** How many items fit: the body is the wrapping plus `copies` × (n items and n − 1 commas). */
function fillCount(shape: Shape, target: Target): number {
  const create = target.mode === 'create';
  const overhead = Buffer.byteLength(shape.wrap('', create));
  const copies = shape.copies ?? 1;
  return Math.floor((BODY_LIMIT - overhead + copies) / (copies * (shape.item(0).length + 1)));
}

export function amplification(c: Context): Case {
  const shape = c.random.pick(SHAPES);
  const target = pickTarget(c);
  const size = c.random.pick(shape.sizes);
  const n = size === 'fill' ? fillCount(shape, target) : size;
  const list = Array.from({ length: n }, (_, i) => shape.item(i)).join(',');
  const body = shape.wrap(list, target.mode === 'create');
  const label = `${shape.label} × ${n} (${body.length} bytes)`;
  return jsonCase(c, 'amplification', label, body, target, shape.expect?.(n, target.mode === 'create') ?? {});
}
