// The one auth matrix (docs/contract.md §6, DESIGN.md "one auth matrix runs against every route"): every
// /client/v4 and /ringmaster/v1 route — the test-mode control routes too (§8.6; the app is built in test
// mode) — × every credential situation, one case each. A route knows how to build its own
// request and fixture and how to tell success from "nothing happened"; a situation knows which
// credentials to present and what each kind of route must answer. Shaped after unkey's shared
// route-role tests (apps/api/src/pkg/testutil/test_route_roles.ts).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildApp } from '../src/app.ts';
import { LIMITS } from '../src/http/limits.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import {
  ACCOUNT,
  createTestApp,
  groupsUrl,
  groupUrl,
  KEY_EMAIL,
  OTHER_ACCOUNT,
  type Secrets,
  type TestApp,
  validGroup,
} from './support/app.ts';
import { CF_RAY } from './support/envelope.ts';
import { rawExchange, rawRequest } from './support/raw-http.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Response = Awaited<ReturnType<TestApp['request']>>;
type Group = Record<string, unknown> & { id: string };

const PERMISSIONS_DOC = /^https:\/\/developers\.cloudflare\.com\//;
const OVER_THE_BODY_LIMIT = LIMITS.bodyBytes + 1;

let t: TestApp;
before(async () => {
  t = await createTestApp({ testMode: true });
});
after(async () => {
  await t.close();
});

// ---- routes ------------------------------------------------------------------------------------

/** Where a case's fixture group lives, and which account the request's URL names. */
interface Placement {
  groupAccount: string;
  urlAccount: string;
}

/** One request, ready to send with any credentials, and the checks that go with it. */
interface Prepared {
  url: string;
  body?: unknown;
  /** The route did its job (called with the credentials the request used). */
  succeeded(response: Response, headers: Record<string, string>): Promise<void>;
  /** Nothing was written: the fixture group is exactly as it was, or no group was created. */
  untouched(): Promise<void>;
}

interface Route {
  name: string;
  method: Method;
  /**
   * What the route asks of a credential: read or write on the account, a valid API token, write on
   * every account (the test-mode control routes), or no more than Version Targets Read (§8.4).
   */
  needs: 'read' | 'write' | 'verify' | 'all-accounts' | 'targets';
  /** Whether the route reads a JSON body (and so could be made to parse one). */
  takesBody: boolean;
  /** Whether the route addresses one existing group (or rollout). */
  item: boolean;
  /** What an item of another account answers, when not a group's 404 (a rollout's: 2016). */
  notFound?: Failure;
  prepare(placement: Placement): Promise<Prepared>;
}

const uniqueName = () => `auth-matrix ${randomUUID()}`;
const changeControlUrl = (account: string) => `/ringmaster/v1/accounts/${account}/deployment-groups`;

async function createGroup(account: string): Promise<Group> {
  const response = await t.request({
    method: 'POST',
    url: groupsUrl(account),
    body: validGroup({ name: uniqueName() }),
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().result;
}

/** Fetches a group with the admin token: the group, or undefined when it is not found. */
async function fetchGroup(account: string, id: string): Promise<Group | undefined> {
  const response = await t.request({ url: groupUrl(id, account) });
  if (response.statusCode === 404) return undefined;
  assert.equal(response.statusCode, 200, response.body);
  return response.json().result;
}

/** Every group of an account, page by page, as `headers` see them. */
async function listAll(account: string, headers: Record<string, string> = {}): Promise<Group[]> {
  const groups: Group[] = [];
  for (let page = 1; ; page++) {
    const response = await t.request({
      url: `${groupsUrl(account)}?per_page=100&page=${page}`,
      ...(Object.keys(headers).length > 0 ? { token: null, headers } : {}),
    });
    assert.equal(response.statusCode, 200, response.body);
    const result: Group[] = response.json().result;
    if (result.length === 0) return groups;
    groups.push(...result);
  }
}

/** The fixture group is still exactly what it was before the request. */
function unchanged(account: string, group: Group) {
  return async () => assert.deepEqual(await fetchGroup(account, group.id), group);
}

const routes: Route[] = [
  {
    name: 'GET /deployment-groups',
    method: 'GET',
    needs: 'read',
    takesBody: false,
    item: false,
    async prepare({ groupAccount, urlAccount }) {
      const group = await createGroup(groupAccount);
      return {
        url: groupsUrl(urlAccount),
        async succeeded(response, headers) {
          assert.ok(Array.isArray(response.json().result));
          // Listed to those who may see its account, and to nobody else (docs/contract.md §5, Accounts).
          const listed = (await listAll(urlAccount, headers)).some(({ id }) => id === group.id);
          assert.equal(listed, groupAccount === urlAccount);
        },
        untouched: unchanged(groupAccount, group),
      };
    },
  },
  {
    name: 'POST /deployment-groups',
    method: 'POST',
    needs: 'write',
    takesBody: true,
    item: false,
    async prepare({ groupAccount, urlAccount }) {
      const name = uniqueName();
      return {
        url: groupsUrl(urlAccount),
        body: validGroup({ name }),
        async succeeded(response) {
          const created: Group = response.json().result;
          assert.equal(created.name, name);
          assert.deepEqual(await fetchGroup(urlAccount, created.id), created);
        },
        async untouched() {
          assert.equal((await listAll(groupAccount)).filter((group) => group.name === name).length, 0);
        },
      };
    },
  },
  {
    name: 'GET /deployment-groups/:id',
    method: 'GET',
    needs: 'read',
    takesBody: false,
    item: true,
    async prepare({ groupAccount, urlAccount }) {
      const group = await createGroup(groupAccount);
      return {
        url: groupUrl(group.id, urlAccount),
        async succeeded(response) {
          assert.deepEqual(response.json().result, group);
        },
        untouched: unchanged(groupAccount, group),
      };
    },
  },
  {
    name: 'PATCH /deployment-groups/:id',
    method: 'PATCH',
    needs: 'write',
    takesBody: true,
    item: true,
    async prepare({ groupAccount, urlAccount }) {
      const group = await createGroup(groupAccount);
      const name = uniqueName();
      return {
        url: groupUrl(group.id, urlAccount),
        body: { name },
        async succeeded(response) {
          const updated: Group = response.json().result;
          assert.equal(updated.id, group.id);
          assert.equal(updated.name, name);
          assert.deepEqual(await fetchGroup(urlAccount, group.id), updated);
        },
        untouched: unchanged(groupAccount, group),
      };
    },
  },
  {
    name: 'DELETE /deployment-groups/:id',
    method: 'DELETE',
    needs: 'write',
    takesBody: false,
    item: true,
    async prepare({ groupAccount, urlAccount }) {
      const group = await createGroup(groupAccount);
      return {
        url: groupUrl(group.id, urlAccount),
        async succeeded(response) {
          assert.deepEqual(response.json().result, { id: group.id });
          assert.equal(await fetchGroup(urlAccount, group.id), undefined);
        },
        untouched: unchanged(groupAccount, group),
      };
    },
  },
  // Cloudflare's audit-log routes (docs/contract.md §8.2): Zero Trust Read suffices, and a change shows in
  // its own account's log only.
  ...(
    [
      [
        'GET /audit_logs (version 1)',
        (account: string) => `/client/v4/accounts/${account}/audit_logs?per_page=1000`,
      ],
      [
        'GET /logs/audit (version 2)',
        (account: string) => `/client/v4/accounts/${account}/logs/audit?limit=1000`,
      ],
    ] as const
  ).map(
    ([name, url]): Route => ({
      name,
      method: 'GET',
      needs: 'read',
      takesBody: false,
      item: false,
      async prepare({ groupAccount, urlAccount }) {
        const group = await createGroup(groupAccount);
        const window = `since=${new Date(Date.now() - 3_600_000).toISOString()}&before=${new Date(Date.now() + 3_600_000).toISOString()}`;
        return {
          url: `${url(urlAccount)}&${window}`,
          async succeeded(response) {
            const entries: { resource: { id: string } }[] = response.json().result;
            const listed = entries.some((entry) => entry.resource.id === group.id);
            assert.equal(listed, groupAccount === urlAccount);
          },
          untouched: unchanged(groupAccount, group),
        };
      },
    }),
  ),
  {
    name: 'GET /ringmaster/v1/…/deployment-groups/:id/history',
    method: 'GET',
    needs: 'read',
    takesBody: false,
    item: true,
    async prepare({ groupAccount, urlAccount }) {
      const group = await createGroup(groupAccount);
      return {
        url: `${changeControlUrl(urlAccount)}/${group.id}/history`,
        async succeeded(response) {
          const [entry] = response.json().result;
          assert.equal(entry.action, 'create');
          assert.deepEqual(entry.deployment_group, group);
        },
        untouched: unchanged(groupAccount, group),
      };
    },
  },
  {
    name: 'POST /ringmaster/v1/…/deployment-groups/:id/revert',
    method: 'POST',
    needs: 'write',
    takesBody: true,
    item: true,
    async prepare({ groupAccount, urlAccount }) {
      const original = await createGroup(groupAccount);
      const renamed = await t.request({
        method: 'PATCH',
        url: groupUrl(original.id, groupAccount),
        body: { name: uniqueName() },
      });
      const group: Group = renamed.json().result;
      return {
        url: `${changeControlUrl(urlAccount)}/${group.id}/revert`,
        body: { revision: 1 },
        async succeeded(response) {
          const reverted: Group = response.json().result;
          assert.equal(reverted.name, original.name);
          assert.deepEqual(await fetchGroup(urlAccount, group.id), reverted);
        },
        untouched: unchanged(groupAccount, group),
      };
    },
  },
  {
    name: 'POST /ringmaster/v1/…/deployment-groups/preview',
    method: 'POST',
    needs: 'write',
    takesBody: true,
    // It previews a PATCH of the fixture group, so another account's group is not found.
    item: true,
    async prepare({ groupAccount, urlAccount }) {
      const group = await createGroup(groupAccount);
      const name = uniqueName();
      return {
        url: `${changeControlUrl(urlAccount)}/preview`,
        body: { method: 'PATCH', group_id: group.id, body: { name } },
        async succeeded(response) {
          assert.equal(response.json().result.deployment_group.name, name);
          assert.deepEqual(await fetchGroup(urlAccount, group.id), group, 'a preview writes nothing');
        },
        untouched: unchanged(groupAccount, group),
      };
    },
  },
  {
    name: 'GET /ringmaster/v1/…/access',
    method: 'GET',
    needs: 'read',
    takesBody: false,
    item: false,
    async prepare({ urlAccount }) {
      return {
        url: `/ringmaster/v1/accounts/${urlAccount}/access`,
        async succeeded(response, headers) {
          // What the credential that was presented may do, as its grant says (docs/contract.md §8.0).
          assert.deepEqual(response.json().result, expectedAccess(headers));
        },
        async untouched() {},
      };
    },
  },
  {
    name: 'GET /user/tokens/verify',
    method: 'GET',
    needs: 'verify',
    takesBody: false,
    item: false,
    async prepare() {
      return {
        url: '/client/v4/user/tokens/verify',
        async succeeded(response) {
          const { id, status } = response.json().result;
          assert.equal(status, 'active');
          assert.match(id, /^[0-9a-f]{32}$/);
        },
        async untouched() {},
      };
    },
  },
  ...testingRoutes(),
  ...rolloutRoutes(),
  ...versionTargetRoutes(),
];

/** The rollout routes (docs/contract.md §8.5): another account's rollout is not found (2016). */
function rolloutRoutes(): Route[] {
  const url = (account: string, path = '') => `/ringmaster/v1/accounts/${account}/rollouts${path}`;
  const ROLLOUT_NOT_FOUND: Failure = { status: 404, code: 2016 };
  const fetchRollout = async (account: string, id: string) =>
    (await t.request({ url: url(account, `/${id}`) })).json().result;
  /** A rollout of one new ring whose first stage is due in 30 days: nothing applies during the test. */
  const createRollout = async (account: string, name = uniqueName()) => {
    const ring = await createGroup(account);
    const created = await t.request({
      method: 'POST',
      url: url(account),
      body: {
        name,
        version_config: validGroup().version_config,
        stages: [{ deployment_group_id: ring.id, wait: '30d' }],
      },
    });
    assert.equal(created.statusCode, 200, created.body);
    return created.json().result;
  };
  const actions = (['pause', 'resume', 'abort', 'rollback'] as const).map(
    (action): Route => ({
      name: `POST /ringmaster/v1/…/rollouts/:id/${action}`,
      method: 'POST',
      needs: 'write',
      takesBody: false,
      item: true,
      notFound: ROLLOUT_NOT_FOUND,
      async prepare({ groupAccount, urlAccount }) {
        const rollout = await createRollout(groupAccount);
        if (action === 'resume')
          await t.request({ method: 'POST', url: url(groupAccount, `/${rollout.id}/pause`) });
        const before = await fetchRollout(groupAccount, rollout.id);
        const expected = { pause: 'paused', resume: 'scheduled', abort: 'aborted', rollback: 'rolled_back' }[
          action
        ];
        return {
          url: url(urlAccount, `/${rollout.id}/${action}`),
          async succeeded(response) {
            assert.equal(response.json().result.state, expected);
            assert.equal((await fetchRollout(urlAccount, rollout.id)).state, expected);
          },
          async untouched() {
            assert.deepEqual(await fetchRollout(groupAccount, rollout.id), before);
          },
        };
      },
    }),
  );
  return [
    {
      name: 'GET /ringmaster/v1/…/rollouts',
      method: 'GET',
      needs: 'read',
      takesBody: false,
      item: false,
      async prepare({ groupAccount, urlAccount }) {
        const rollout = await createRollout(groupAccount);
        return {
          url: `${url(urlAccount)}?per_page=100`,
          async succeeded(response) {
            const listed = response.json().result.some(({ id }: { id: string }) => id === rollout.id);
            assert.equal(listed, groupAccount === urlAccount);
          },
          async untouched() {},
        };
      },
    },
    {
      name: 'POST /ringmaster/v1/…/rollouts',
      method: 'POST',
      needs: 'write',
      takesBody: true,
      item: false,
      async prepare({ groupAccount, urlAccount }) {
        const ring = await createGroup(groupAccount);
        const name = uniqueName();
        const list = async (account: string) =>
          (await t.request({ url: `${url(account)}?per_page=100` })).json().result as { name: string }[];
        return {
          url: url(urlAccount),
          body: {
            name,
            version_config: validGroup().version_config,
            stages: [{ deployment_group_id: ring.id, wait: '30d' }],
          },
          async succeeded(response) {
            assert.equal(response.json().result.name, name);
            assert.equal((await list(urlAccount)).filter((r) => r.name === name).length, 1);
          },
          async untouched() {
            assert.equal((await list(groupAccount)).filter((r) => r.name === name).length, 0);
          },
        };
      },
    },
    {
      name: 'GET /ringmaster/v1/…/rollouts/:id',
      method: 'GET',
      needs: 'read',
      takesBody: false,
      item: true,
      notFound: ROLLOUT_NOT_FOUND,
      async prepare({ groupAccount, urlAccount }) {
        const rollout = await createRollout(groupAccount);
        return {
          url: url(urlAccount, `/${rollout.id}`),
          async succeeded(response) {
            assert.deepEqual(response.json().result, rollout);
          },
          async untouched() {
            assert.deepEqual(await fetchRollout(groupAccount, rollout.id), rollout);
          },
        };
      },
    },
    ...actions,
  ];
}

/**
 * The version targets (docs/contract.md §8.4): any credential that reads the account, and the targets
 * token. A policy of the fixture group resolves where the URL's account holds it, and nowhere else.
 */
function versionTargetRoutes(): Route[] {
  const targetsUrl = (account: string) => `/ringmaster/v1/accounts/${account}/version-targets`;
  const route = (
    name: string,
    method: Method,
    url: (account: string, policy: string) => string,
    resolved: (response: Response, policy: string) => boolean,
    body?: (policy: string) => unknown,
  ): Route => ({
    name,
    method,
    needs: 'targets',
    takesBody: body !== undefined,
    item: false,
    async prepare({ groupAccount, urlAccount }) {
      const policy = randomUUID();
      const response = await t.request({
        method: 'POST',
        url: groupsUrl(groupAccount),
        body: validGroup({ name: uniqueName(), policy_ids: [policy] }),
      });
      assert.equal(response.statusCode, 200, response.body);
      const group: Group = response.json().result;
      return {
        url: url(urlAccount, policy),
        body: body?.(policy),
        async succeeded(answer) {
          assert.equal(resolved(answer, policy), groupAccount === urlAccount);
        },
        untouched: unchanged(groupAccount, group),
      };
    },
  });
  return [
    route(
      'GET /ringmaster/v1/…/version-targets?policy_id',
      'GET',
      (account, policy) => `${targetsUrl(account)}?policy_id=${policy}&target_environment=windows`,
      (response) => response.json().result !== null,
    ),
    route(
      'POST /ringmaster/v1/…/version-targets/resolve',
      'POST',
      (account) => `${targetsUrl(account)}/resolve`,
      (response) => response.json().result[0] !== null,
      (policy) => ({ queries: [{ policy_id: policy, target_environment: 'windows' }] }),
    ),
    route(
      'GET /ringmaster/v1/…/version-targets (the document)',
      'GET',
      (account) => targetsUrl(account),
      (response, policy) =>
        response.json().result.targets.some((target: { policy_id: string }) => target.policy_id === policy),
    ),
  ];
}

/** The test-mode control routes (docs/contract.md §8.6): Write on every account, and nothing less. */
function testingRoutes(): Route[] {
  const url = (path: string) => `/ringmaster/v1/testing/${path}`;
  const control = async (method: Method, path: string, body?: unknown) => {
    const response = await t.request({ method, url: url(path), body });
    assert.equal(response.statusCode, 200, response.body);
    return response.json().result;
  };
  const route = (name: string, method: Method, takesBody: boolean, prepare: Route['prepare']): Route => ({
    name,
    method,
    needs: 'all-accounts',
    takesBody,
    item: false,
    prepare,
  });
  const harmlessRule = () => ({ match: { path: `/nowhere/${randomUUID()}` }, respond: { status: 500 } });
  const hasRule = async (rule: { match: { path: string } }) =>
    ((await control('GET', 'faults')) as { match: { path?: string } }[]).some(
      (listed) => listed.match.path === rule.match.path,
    );
  return [
    route('POST /testing/reset', 'POST', false, async () => {
      const group = await createGroup(ACCOUNT);
      return {
        url: url('reset'),
        async succeeded() {
          assert.equal(await fetchGroup(ACCOUNT, group.id), undefined);
        },
        untouched: unchanged(ACCOUNT, group),
      };
    }),
    route('POST /testing/seed', 'POST', true, async () => {
      const name = uniqueName();
      const fixtures = { accounts: { [ACCOUNT]: { deployment_groups: [validGroup({ name })] } } };
      const seeded = async () => (await listAll(ACCOUNT)).filter((group) => group.name === name).length;
      return {
        url: url('seed'),
        body: fixtures,
        async succeeded() {
          assert.equal(await seeded(), 1);
        },
        async untouched() {
          assert.equal(await seeded(), 0);
        },
      };
    }),
    route('GET /testing/requests', 'GET', false, async () => ({
      url: url('requests'),
      async succeeded(response) {
        assert.ok(Array.isArray(response.json().result));
      },
      async untouched() {},
    })),
    route('DELETE /testing/requests', 'DELETE', false, async () => {
      await createGroup(ACCOUNT); // journaled
      return {
        url: url('requests'),
        async succeeded() {
          assert.deepEqual(await control('GET', 'requests'), []);
        },
        async untouched() {
          assert.notDeepEqual(await control('GET', 'requests'), []);
        },
      };
    }),
    route('POST /testing/faults', 'POST', true, async () => {
      const rule = harmlessRule();
      return {
        url: url('faults'),
        body: rule,
        async succeeded() {
          assert.ok(await hasRule(rule));
        },
        async untouched() {
          assert.ok(!(await hasRule(rule)));
        },
      };
    }),
    route('GET /testing/faults', 'GET', false, async () => ({
      url: url('faults'),
      async succeeded(response) {
        assert.ok(Array.isArray(response.json().result));
      },
      async untouched() {},
    })),
    route('DELETE /testing/faults', 'DELETE', false, async () => {
      const rule = harmlessRule();
      await control('POST', 'faults', rule);
      return {
        url: url('faults'),
        async succeeded() {
          assert.deepEqual(await control('GET', 'faults'), []);
        },
        async untouched() {
          assert.ok(await hasRule(rule));
        },
      };
    }),
  ];
}

/** The /access answer for the credential in `headers`: each secret of support/app.ts and its grant. */
function expectedAccess(headers: Record<string, string>): Record<string, boolean> {
  const presented = headers.authorization?.replace(/^Bearer /, '') ?? headers['x-auth-key'];
  const { admin, allReader, writer, reader, key } = t.secrets;
  const grants = new Map([
    [admin, { read: true, write: true, all_accounts: true }],
    [allReader, { read: true, write: false, all_accounts: true }],
    [writer, { read: true, write: true, all_accounts: false }],
    [reader, { read: true, write: false, all_accounts: false }],
    [key, { read: true, write: true, all_accounts: false }],
  ]);
  const expected = presented === undefined ? undefined : grants.get(presented);
  assert.ok(expected, 'a credential with a known grant was presented');
  return expected;
}

// ---- situations --------------------------------------------------------------------------------

interface Failure {
  status: number;
  code: number;
  message?: string | RegExp;
  /** The code inside `errors[0].error_chain` (malformed headers). */
  chain?: number;
  /** 403 10000 carries a `documentation_url`. */
  documented?: boolean;
}
type Outcome = 'success' | Failure;

interface Situation {
  name: string;
  headers(secrets: Secrets): Record<string, string>;
  /** What `route` must answer; undefined when the situation means nothing for that route. */
  expect(route: Route): Outcome | undefined;
  placement?: Partial<Placement>;
  /** A raw body replacing the route's own (with its Content-Type). */
  payload?: { contentType: string; body: string };
}

const MISSING: Failure = {
  status: 400,
  code: 9106,
  message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers',
};
const MALFORMED_AUTHORIZATION: Failure = {
  status: 400,
  code: 6003,
  message: 'Invalid request headers',
  chain: 6111,
};
const MALFORMED_KEY: Failure = { status: 400, code: 6003, message: 'Invalid request headers', chain: 6103 };
const INVALID: Failure = { status: 403, code: 9109, message: 'Invalid access token' };
const INVALID_API_TOKEN: Failure = { status: 401, code: 1000, message: 'Invalid API Token' };
const FORBIDDEN: Failure = { status: 403, code: 10000, message: 'Authentication error', documented: true };
const GROUP_NOT_FOUND: Failure = { status: 404, code: 2002 };
const NO_ROUTE: Failure = { status: 404, code: 7003, message: /^Could not route to / };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const legacy = (key: string, email = KEY_EMAIL) => ({ 'x-auth-email': email, 'x-auth-key': key });
/** Well-formed, but no credential has it. */
const unknownToken = `rmt_${randomBytes(32).toString('base64url')}`;

/** The same answer from every route. */
const everywhere = (outcome: Outcome) => () => outcome;
/** A bad credential: 403 9109 on the account routes, 401 1000 on /user/tokens/verify (docs/contract.md §6). */
const badCredential = (route: Route) => (route.needs === 'verify' ? INVALID_API_TOKEN : INVALID);
const onlyWithBody = (outcome: Outcome) => (route: Route) => (route.takesBody ? outcome : undefined);
const onlyOnAccounts = (outcome: Outcome) => (route: Route) =>
  route.needs === 'read' || route.needs === 'write' || route.needs === 'targets' ? outcome : undefined;
/** Bodies a reader may send: the version-target batch takes one, and a reader may ask it. */
const onlyWithBodyBeyondTargets = (outcome: Outcome) => (route: Route) =>
  route.takesBody && route.needs !== 'targets' ? outcome : undefined;
/** A credential short of Write on every account is refused by the test-mode routes. */
const allAccountsOr = (outcome: (route: Route) => Outcome) => (route: Route) =>
  route.needs === 'all-accounts' ? FORBIDDEN : outcome(route);

const situations: Situation[] = [
  { name: 'no credentials at all', headers: () => ({}), expect: everywhere(MISSING) },
  {
    name: 'an X-Auth-Key without X-Auth-Email',
    headers: (s) => ({ 'x-auth-key': s.key }),
    expect: everywhere(MISSING),
  },
  {
    name: 'an Authorization header without the Bearer scheme',
    headers: (s) => ({ authorization: s.writer }),
    expect: everywhere(MALFORMED_AUTHORIZATION),
  },
  {
    name: 'an Authorization header of a bare "Bearer"',
    headers: () => ({ authorization: 'Bearer' }),
    expect: everywhere(MALFORMED_AUTHORIZATION),
  },
  {
    name: 'a Bearer scheme with an empty token',
    headers: () => ({ authorization: 'Bearer ' }),
    expect: everywhere(MALFORMED_AUTHORIZATION),
  },
  {
    name: 'a Basic Authorization header',
    headers: () => ({ authorization: 'Basic dXNlcjpwYXNzd29yZA==' }),
    expect: everywhere(MALFORMED_AUTHORIZATION),
  },
  {
    name: 'a Bearer token containing a space',
    headers: (s) => ({ authorization: `Bearer ${s.writer} ${s.writer}` }),
    expect: everywhere(MALFORMED_AUTHORIZATION),
  },
  {
    name: 'a Bearer token in quotes',
    headers: (s) => ({ authorization: `Bearer "${s.writer}"` }),
    expect: everywhere(MALFORMED_AUTHORIZATION),
  },
  {
    name: 'an X-Auth-Key with illegal characters',
    headers: () => legacy('not a "key"'),
    expect: everywhere(MALFORMED_KEY),
  },
  { name: 'an unknown token', headers: () => bearer(unknownToken), expect: badCredential },
  { name: 'an expired token', headers: (s) => bearer(s.expired), expect: badCredential },
  { name: 'a revoked token', headers: (s) => bearer(s.revoked), expect: badCredential },
  {
    name: 'a token presented as an X-Auth-Key',
    headers: (s) => legacy(s.writer),
    expect: badCredential,
  },
  {
    name: 'an API key presented as a Bearer token',
    headers: (s) => bearer(s.key),
    expect: badCredential,
  },
  {
    name: 'a legacy API key with its email',
    headers: (s) => legacy(s.key),
    // /user/tokens/verify verifies API tokens only.
    expect: allAccountsOr((route) => (route.needs === 'verify' ? INVALID_API_TOKEN : 'success')),
  },
  {
    name: 'a legacy API key with another email',
    headers: (s) => legacy(s.key, 'someone-else@example.com'),
    expect: badCredential,
  },
  {
    name: 'a read-only token',
    headers: (s) => bearer(s.reader),
    expect: allAccountsOr((route) => (route.needs === 'write' ? FORBIDDEN : 'success')),
  },
  {
    name: 'a read token for every account',
    headers: (s) => bearer(s.allReader),
    expect: allAccountsOr((route) => (route.needs === 'write' ? FORBIDDEN : 'success')),
  },
  {
    name: 'a token for another account',
    headers: (s) => bearer(s.otherWriter),
    // The token itself is valid, so /user/tokens/verify says so.
    expect: (route) => (route.needs === 'verify' ? 'success' : FORBIDDEN),
  },
  { name: 'a writer token', headers: (s) => bearer(s.writer), expect: allAccountsOr(everywhere('success')) },
  {
    // Version Targets Read: the version targets and nothing else, /user/tokens/verify included (§6, §8.4).
    name: 'a version-targets token',
    headers: (s) => bearer(s.targets),
    expect: (route) => (route.needs === 'targets' ? 'success' : FORBIDDEN),
  },
  {
    name: 'a version-targets token and another account’s group',
    headers: (s) => bearer(s.targets),
    placement: { groupAccount: OTHER_ACCOUNT },
    expect: (route) => (route.needs === 'targets' ? 'success' : undefined),
  },
  {
    name: 'a version-targets token for another account',
    headers: (s) => bearer(s.targets),
    placement: { groupAccount: OTHER_ACCOUNT, urlAccount: OTHER_ACCOUNT },
    expect: onlyOnAccounts(FORBIDDEN),
  },
  {
    // Authorization comes before the body is read.
    name: 'a version-targets token and a body that is not JSON',
    headers: (s) => bearer(s.targets),
    payload: { contentType: 'application/json', body: '{"name": "unterminated' },
    expect: onlyWithBodyBeyondTargets(FORBIDDEN),
  },
  { name: 'a write token for every account', headers: (s) => bearer(s.admin), expect: everywhere('success') },
  // Another account's group is simply not found (docs/contract.md §5), even by a token that may see every
  // account; the list just does not show it.
  ...(['writer', 'admin'] as const).map(
    (holder): Situation => ({
      name: `the ${holder} token and another account's group`,
      headers: (s) => bearer(s[holder]),
      placement: { groupAccount: OTHER_ACCOUNT },
      expect: (route) =>
        route.item
          ? (route.notFound ?? GROUP_NOT_FOUND)
          : route.needs === 'read' || route.needs === 'targets'
            ? 'success'
            : undefined,
    }),
  ),
  ...[
    ['an uppercase account id', ACCOUNT.toUpperCase()],
    ['an account id of 31 hex digits', ACCOUNT.slice(1)],
    ['an account id of 33 hex digits', `${ACCOUNT}0`],
    ['an account id with a non-hex character', `${ACCOUNT.slice(1)}g`],
  ].map(
    ([name, account]): Situation => ({
      name: `the admin token and ${name}`,
      headers: (s) => bearer(s.admin),
      placement: { urlAccount: account },
      expect: onlyOnAccounts(NO_ROUTE),
    }),
  ),
  {
    // No such route exists, whoever asks: routing comes before authentication.
    name: 'no credentials and an uppercase account id',
    headers: () => ({}),
    placement: { urlAccount: ACCOUNT.toUpperCase() },
    expect: onlyOnAccounts(NO_ROUTE),
  },
  // Authentication runs before the body is read: an unauthenticated client learns nothing about it.
  {
    name: 'no credentials and a body over the size limit',
    headers: () => ({}),
    payload: {
      contentType: 'application/json',
      body: JSON.stringify(validGroup({ name: 'x'.repeat(OVER_THE_BODY_LIMIT) })),
    },
    expect: onlyWithBody(MISSING),
  },
  {
    name: 'no credentials and a body that is not JSON',
    headers: () => ({}),
    payload: { contentType: 'application/json', body: '{"name": "unterminated' },
    expect: onlyWithBody(MISSING),
  },
  {
    name: 'no credentials and a text/plain body',
    headers: () => ({}),
    payload: { contentType: 'text/plain', body: 'hello' },
    expect: onlyWithBody(MISSING),
  },
  {
    name: 'an unknown token and a body over the size limit',
    headers: () => bearer(unknownToken),
    payload: {
      contentType: 'application/json',
      body: JSON.stringify(validGroup({ name: 'x'.repeat(OVER_THE_BODY_LIMIT) })),
    },
    expect: onlyWithBody(INVALID),
  },
  {
    name: 'an unknown token and a body that is not JSON',
    headers: () => bearer(unknownToken),
    payload: { contentType: 'application/json', body: '{"name": "unterminated' },
    expect: onlyWithBody(INVALID),
  },
  {
    name: 'a read-only token and a body that is not JSON',
    headers: (s) => bearer(s.reader),
    payload: { contentType: 'application/json', body: '{"name": "unterminated' },
    expect: onlyWithBodyBeyondTargets(FORBIDDEN),
  },
  {
    // Authorization comes before validation, too.
    name: 'a read-only token and an invalid body',
    headers: (s) => bearer(s.reader),
    payload: { contentType: 'application/json', body: JSON.stringify({ name: '', policy_id: 'typo' }) },
    expect: onlyWithBodyBeyondTargets(FORBIDDEN),
  },
];

// ---- the matrix --------------------------------------------------------------------------------

function caseName(route: Route, situation: Situation, outcome: Outcome): string {
  const answer = outcome === 'success' ? '200' : `${outcome.status} ${outcome.code}`;
  return `${route.name} answers ${answer} to ${situation.name}`;
}

function assertFailure(response: Response, failure: Failure): void {
  assert.equal(response.statusCode, failure.status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.match(String(response.headers['cf-ray']), CF_RAY);
  if (failure.status >= 400 && failure.status < 500)
    assert.equal(response.headers['x-should-retry'], 'false');

  const body = response.json();
  assert.deepEqual(Object.keys(body).sort(), ['errors', 'messages', 'result', 'success']);
  assert.equal(body.success, false);
  assert.deepEqual(body.messages, []);
  assert.equal(body.result, null);
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, 'errors is a non-empty array');
  for (const error of body.errors) {
    assert.equal(typeof error.code, 'number');
    assert.equal(typeof error.message, 'string');
  }

  const [first] = body.errors;
  assert.equal(first.code, failure.code);
  if (typeof failure.message === 'string') assert.equal(first.message, failure.message);
  else if (failure.message) assert.match(first.message, failure.message);
  if (failure.chain !== undefined) {
    assert.ok(Array.isArray(first.error_chain) && first.error_chain.length === 1, 'one error_chain entry');
    assert.equal(first.error_chain[0].code, failure.chain);
    assert.equal(typeof first.error_chain[0].message, 'string');
  } else {
    assert.equal(first.error_chain, undefined);
  }
  if (failure.documented) assert.match(first.documentation_url, PERMISSIONS_DOC);
  else assert.equal(first.documentation_url, undefined);
}

for (const route of routes) {
  for (const situation of situations) {
    const outcome = situation.expect(route);
    if (outcome === undefined) continue;
    test(caseName(route, situation, outcome), async () => {
      const prepared = await route.prepare({
        groupAccount: situation.placement?.groupAccount ?? ACCOUNT,
        urlAccount: situation.placement?.urlAccount ?? ACCOUNT,
      });
      const headers = situation.headers(t.secrets);
      const response = await t.request({
        method: route.method,
        url: prepared.url,
        token: null,
        ...(situation.payload
          ? {
              body: situation.payload.body,
              headers: { ...headers, 'content-type': situation.payload.contentType },
            }
          : { body: prepared.body, headers }),
      });

      if (outcome === 'success') {
        assert.equal(response.statusCode, 200, response.body);
        assert.match(String(response.headers['content-type']), /^application\/json/);
        assert.match(String(response.headers['cf-ray']), CF_RAY);
        assert.equal(response.json().success, true);
        await prepared.succeeded(response, headers);
      } else {
        assertFailure(response, outcome);
        await prepared.untouched();
      }
    });
  }
}

test('no /client/v4 or /ringmaster/v1 route but the OpenAPI document answers without credentials', async () => {
  // Collects every route the app registers, so that a route added later without `config.auth` fails here.
  const store = openSqliteStore({ path: ':memory:' });
  const app = buildApp({
    config: {
      logLevel: 'silent',
      targetEnvironments: ['windows'],
      authFailureLimit: { limit: 60, windowSeconds: 60 },
    },
    store,
  });
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    const api = route.url.startsWith('/client/v4/') || route.url.startsWith('/ringmaster/v1/');
    if (!api || route.url === '/client/v4/openapi.json') return;
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  await app.ready();
  try {
    assert.ok(routes.length >= 6, `saw ${routes.length} routes`);
    for (const { method, url } of routes) {
      const concrete = url.replace(':account_id', ACCOUNT).replace(':group_id', randomUUID());
      const response = await app.inject({ method: method as 'GET', url: concrete });
      const code = method === 'HEAD' ? undefined : response.json().errors[0].code;
      assert.ok(
        (response.statusCode === 400 && (code === 9106 || code === undefined)) || response.statusCode === 405,
        `${method} ${url} answered ${response.statusCode} ${code} without credentials`,
      );
    }
  } finally {
    await app.close();
    await store.close();
  }
});

test('answers 400 6003 to any credential header sent twice, whichever copy is valid', async () => {
  // Node keeps the first Authorization and joins repeated X-Auth-* values, while a proxy in front may check
  // the last one: over a real socket, the raw header list is what must decide (docs/contract.md §6).
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  assert.ok(address && typeof address === 'object');
  const { writer, key } = t.secrets;
  const send = async (headers: [string, string][]) => {
    const exchange = await rawExchange(
      address.port,
      rawRequest({ path: groupsUrl(), headers: [...headers, ['Connection', 'close']] }),
    );
    assert.equal(exchange.responses.length, 1);
    return exchange.responses[0]!;
  };
  const cases: [string, [string, string][]][] = [
    [
      'two valid Authorization headers',
      [
        ['Authorization', `Bearer ${writer}`],
        ['Authorization', `Bearer ${writer}`],
      ],
    ],
    [
      'a valid then a bogus Authorization',
      [
        ['Authorization', `Bearer ${writer}`],
        ['authorization', 'Bearer rmt_x'],
      ],
    ],
    [
      'a bogus then a valid Authorization',
      [
        ['Authorization', 'Bearer rmt_x'],
        ['AUTHORIZATION', `Bearer ${writer}`],
      ],
    ],
    [
      'two X-Auth-Key headers',
      [
        ['X-Auth-Email', KEY_EMAIL],
        ['X-Auth-Key', key],
        ['X-Auth-Key', key],
      ],
    ],
    [
      'two X-Auth-Email headers',
      [
        ['X-Auth-Email', KEY_EMAIL],
        ['X-Auth-Email', KEY_EMAIL],
        ['X-Auth-Key', key],
      ],
    ],
    [
      'a token and two X-Auth-Email headers',
      [
        ['Authorization', `Bearer ${writer}`],
        ['X-Auth-Email', 'a@example.com'],
        ['X-Auth-Email', 'b@example.com'],
      ],
    ],
  ];
  for (const [label, headers] of cases) {
    const response = await send(headers);
    assert.equal(response.status, 400, `${label}: ${response.body}`);
    const body = JSON.parse(response.body);
    assert.deepEqual(body.errors, [{ code: 6003, message: 'Invalid request headers' }], label);
    assert.equal(response.headers['x-should-retry'], 'false', label);
  }
  // Each credential alone, and the token beside the legacy pair, are still accepted.
  for (const headers of [
    [['Authorization', `Bearer ${writer}`]],
    [
      ['X-Auth-Email', KEY_EMAIL],
      ['X-Auth-Key', key],
    ],
    [
      ['Authorization', `Bearer ${writer}`],
      ['X-Auth-Email', KEY_EMAIL],
      ['X-Auth-Key', key],
    ],
  ] as [string, string][][]) {
    assert.equal((await send(headers)).status, 200, JSON.stringify(headers.map(([name]) => name)));
  }
});
