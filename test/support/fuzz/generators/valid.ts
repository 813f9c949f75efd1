// `valid`: what a well-behaved client sends, each of which must succeed (or be a 404 for a group that is not
// there), so that the fuzzer also proves the server keeps working among everything else.
import {
  bearer,
  type Case,
  COLLECTION,
  type Context,
  fromTable,
  uuid,
  VERIFY,
  validGroupBody,
} from '../case.ts';

const served = (label: string, method: string, path: string, c: Context, body?: unknown): Case => ({
  kind: 'valid',
  label,
  http: {
    method,
    path,
    headers: {
      ...(path.startsWith('/client/v4/') ? { authorization: bearer(c) } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
  },
  allowed: [{ status: 200 }],
  rule: `${label} (§1)`,
});

const ROWS: ((c: Context) => Case | undefined)[] = [
  (c) =>
    served('list', 'GET', `${COLLECTION}?page=${c.random.int(1, 3)}&per_page=${c.random.int(1, 100)}`, c),
  (c) => {
    const policyIds = c.random.chance(0.5) ? { policy_ids: [`fz-${c.counter}-a`, `fz-${c.counter}-b`] } : {};
    const created = served('create', 'POST', COLLECTION, c, validGroupBody(c, policyIds));
    return { ...created, onSuccess: (response) => c.created.push(response.result.id) };
  },
  (c) => served('get', 'GET', `${COLLECTION}/${c.random.pick(c.stable)}`, c),
  (c) => ({
    ...served('get missing', 'GET', `${COLLECTION}/${uuid(c.random)}`, c),
    allowed: [{ status: 404, code: 2002 }],
  }),
  (c) =>
    served('patch', 'PATCH', `${COLLECTION}/${c.random.pick(c.stable)}`, c, {
      name: `fuzz patched ${++c.counter}`,
    }),
  (c) => {
    const id = c.created.pop();
    if (id === undefined) return undefined;
    return { ...served('delete', 'DELETE', `${COLLECTION}/${id}`, c), onSuccess: () => c.deleted.push(id) };
  },
  (c) => served('verify', 'GET', VERIFY, c),
  (c) => served('health', 'GET', c.random.pick(['/healthz', '/readyz']), c),
];

export const valid = (c: Context): Case => fromTable(c, ROWS, (row) => row(c));
