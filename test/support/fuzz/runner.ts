// The fuzzer's runner, shared by test/fuzz.test.ts (a sample in `npm test`) and scripts/fuzz.ts (`npm run
// fuzz`, 100,000 requests). It starts the real server as a child process and sends generated requests of every
// kind (generators/), most through a keep-alive HTTP client and the malformed ones over raw sockets. Each answer
// is checked against what the contract says must come back (oracle.ts, answer.ts): never a 5xx; always JSON with
// a `cf-ray`; every failure the envelope with the right status and code; and the server stays up (it is asked
// /healthz every 500 requests, and must not have exited or logged an error).
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTHER_ACCOUNT } from '../accounts.ts';
import { Random } from '../random.ts';
import { type RawResponse, rawExchange } from '../raw-http.ts';
import { type ServeProcess, spawnServe } from '../server.ts';
import { type Answer, checkAnswer, type Violation } from './answer.ts';
import { bearer, type Case, COLLECTION, type Context, validGroupBody } from './case.ts';
import { EXTENSIONS, PREVIEW_NAME } from './generators/change-control.ts';
import { KINDS } from './generators/index.ts';
import { emptySummary, type FuzzSummary, recordRequest, recordStatus, recordViolation } from './summary.ts';

export { type FuzzSummary, formatSummary } from './summary.ts';

export interface FuzzOptions {
  requests: number;
  seed: number;
  concurrency?: number;
  /** Stop after this many violations (they are all reported). */
  maxFailures?: number;
  /** Only these kinds (generators/index.ts), at their usual relative weights; every kind by default. */
  kinds?: string[];
  log?: (line: string) => void;
}

interface Server extends ServeProcess {
  port: number;
  token: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The real server at LOG_LEVEL=warn (per-request lines would only cost time): warnings and errors only. */
async function startQuietServer(file: string): Promise<Server> {
  const port = await freePort();
  const serve = spawnServe({
    PORT: String(port),
    DATABASE_URL: `sqlite:${file}`,
    LOG_LEVEL: 'warn',
    // The fuzzer fails authentication on purpose, tens of thousands of times.
    AUTH_FAILURE_LIMIT: '999999999/1h',
    RATE_LIMIT: '',
  });
  const output = () => serve.stdout() + serve.stderr();
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (serve.child.exitCode !== null) throw new Error(`server exited: ${output()}`);
    // The operator token's banner goes to stderr whatever the log level.
    const token = /(rmt_[A-Za-z0-9_-]+)/.exec(serve.stderr())?.[1];
    const health = token ? await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined) : undefined;
    if (token && health?.status === 200) return { ...serve, port, token };
    if (Date.now() > deadline) throw new Error(`server did not start: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function sendHttp(agent: http.Agent, port: number, request: NonNullable<Case['http']>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: request.method,
        path: request.path,
        headers: request.headers,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', done);
        res.on('error', done);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    // A server may answer early (413) and close while the body is still being written: the answer counts.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(request.body);
  });
}

function parseOrUndefined(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Sends one case and returns its violations (none when every answer is right). */
async function runCase(
  c: Case,
  agent: http.Agent,
  server: Server,
  summary: FuzzSummary,
): Promise<Violation[]> {
  const secrets = [...(c.secrets ?? []), server.token];
  const check = (answer: Answer, following: boolean, head: boolean) =>
    checkAnswer(answer, following ? (c.following ?? []) : c.allowed, head, { ...c, secrets });
  if (c.http) {
    const answer = await sendHttp(agent, server.port, c.http);
    recordStatus(summary, answer);
    const violation = check(answer, false, c.http.method === 'HEAD');
    const body = c.http.method === 'HEAD' || answer.body === '' ? undefined : parseOrUndefined(answer.body);
    c.onAnswer?.(answer.status, body);
    if (violation) return [violation];
    if (answer.status !== 200) {
      const problem = body === undefined ? undefined : c.inspectFailure?.(body);
      return problem ? [{ problem, rule: 'what a failure carries (§8.5)' }] : [];
    }
    c.onSuccess?.(body);
    const problem = c.inspect?.(body);
    return problem
      ? [{ problem, rule: 'what a 200 carries: never another account’s data, as §6, §8.2–§8.5 say' }]
      : [];
  }
  const raw = c.raw as NonNullable<Case['raw']>;
  const exchange = await rawExchange(server.port, raw.data, {
    endAfterMs: raw.endAfterMs,
    timeoutMs: 15_000,
    headRequests: [raw.head ?? false],
    stopOnAnswer: raw.stopOnAnswer,
  });
  const problems: Violation[] = [];
  // Interim answers (100 Continue) are not answers.
  const responses = exchange.responses.filter((response: RawResponse) => response.status >= 200);
  if (responses.length === 0) {
    recordStatus(summary, 'no answer');
    const why = exchange.error ?? (exchange.closedByServer ? 'closed' : 'timed out');
    if (!c.mayNotAnswer) problems.push({ problem: `no answer (${why}) ${exchange.rest.slice(0, 100)}` });
  }
  responses.forEach((response, n) => {
    recordStatus(summary, response);
    const violation = check(response, n > 0, n === 0 && (raw.head ?? false));
    if (violation)
      problems.push({ ...violation, problem: `${n === 0 ? '' : `answer ${n + 1}: `}${violation.problem}` });
  });
  if (!exchange.closedByServer)
    problems.push({ problem: 'the server kept a broken connection open for 15 s' });
  return problems;
}

/** A create with the operator token and a valid body. */
async function createGroup(
  agent: http.Agent,
  server: Server,
  context: Context,
  extra = {},
  collection = COLLECTION,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return sendJson(agent, server, context, 'POST', collection, validGroupBody(context, extra), headers);
}

function sendJson(
  agent: http.Agent,
  server: Server,
  context: Context,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return sendHttp(agent, server.port, {
    method,
    path,
    headers: {
      authorization: bearer(context),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
  });
}

/** Still up and still working at the end: healthy, ready, and a normal write round-trips. */
async function finalChecks(
  agent: http.Agent,
  server: Server,
  context: Context,
  fixtures: Fixtures,
): Promise<string[]> {
  const problems: string[] = [];
  for (const path of ['/healthz', '/readyz']) {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
    if (response.status !== 200) problems.push(`${path} at the end: ${response.status}`);
  }
  const created = await createGroup(agent, server, context);
  if (created.status !== 200) problems.push(`a normal create at the end: ${created.status}`);
  problems.push(...(await untouched(agent, server, context, fixtures)));
  return problems;
}

/** What only previews and other accounts' paths named at start-up, as it was then. */
interface Fixtures {
  /** Path → the GET answer's body and ETag. */
  snapshots: Map<string, string>;
}

const OTHER_COLLECTION = `/client/v4/accounts/${OTHER_ACCOUNT}/devices/deployment-groups`;
const PREVIEW_KEY = 'fuzz-preview-key';

/** Groups of another account, and the frozen groups only previews name; a preview with a key. */
async function makeFixtures(agent: http.Agent, server: Server, context: Context): Promise<Fixtures> {
  const snapshots = new Map<string, string>();
  for (const [collection, ids] of [
    [OTHER_COLLECTION, context.others],
    [COLLECTION, context.frozen],
  ] as const) {
    for (let i = 0; i < 5; i++) {
      const policy = { policy_ids: [`${collection === COLLECTION ? 'frozen' : 'other'}-${i}`] };
      const answer = await createGroup(agent, server, context, policy, collection);
      if (answer.status !== 200) throw new Error(`could not create the fixture groups: ${answer.body}`);
      const id = JSON.parse(answer.body).result.id;
      ids.push(id);
      snapshots.set(`${collection}/${id}`, `${answer.headers.etag} ${answer.body}`);
    }
  }
  await rolloutFixtures(agent, server, context, snapshots);
  // §8.3: a preview never stores an Idempotency-Key (checked at the end).
  await sendJson(
    agent,
    server,
    context,
    'POST',
    `${EXTENSIONS}/preview`,
    {
      method: 'POST',
      body: validGroupBody(context, { name: `${PREVIEW_NAME} keyed` }),
    },
    { 'idempotency-key': PREVIEW_KEY },
  );
  return { snapshots };
}

const OTHER_ROLLOUTS = `/ringmaster/v1/accounts/${OTHER_ACCOUNT}/rollouts`;

/** The rings rollouts name (§8.5), and a rollout of another account that nothing through ACCOUNT may touch. */
async function rolloutFixtures(
  agent: http.Agent,
  server: Server,
  context: Context,
  snapshots: Map<string, string>,
): Promise<void> {
  for (let i = 0; i < 8; i++) {
    const answer = await createGroup(agent, server, context, { name: `fuzz ring ${i}` });
    if (answer.status !== 200) throw new Error(`could not create the rings: ${answer.body}`);
    context.rings.push(JSON.parse(answer.body).result.id);
  }
  const body = {
    name: 'other rollout',
    version_config: [{ target_environment: 'windows', version: '2026.7.1.0' }],
    stages: context.others.map((id) => ({ deployment_group_id: id, wait: '30d' })),
  };
  const created = await sendJson(agent, server, context, 'POST', OTHER_ROLLOUTS, body);
  if (created.status !== 200) throw new Error(`could not create the other rollout: ${created.body}`);
  const id = JSON.parse(created.body).result.id;
  context.otherRollouts.push(id);
  const path = `${OTHER_ROLLOUTS}/${id}`;
  const now = await sendJson(agent, server, context, 'GET', path);
  snapshots.set(path, `${now.headers.etag} ${now.body}`);
}

/** §8.3 preview writes nothing; §6 another account's groups are out of reach. */
async function untouched(
  agent: http.Agent,
  server: Server,
  context: Context,
  fixtures: Fixtures,
): Promise<string[]> {
  const problems: string[] = [];
  for (const [path, snapshot] of fixtures.snapshots) {
    const now = await sendJson(agent, server, context, 'GET', path);
    if (`${now.headers.etag} ${now.body}` !== snapshot) problems.push(`${path} changed: ${now.body}`);
  }
  for (const id of context.frozen) {
    const history = await sendJson(agent, server, context, 'GET', `${EXTENSIONS}/${id}/history`);
    const entries = JSON.parse(history.body).result?.length;
    if (entries !== 1) problems.push(`frozen group ${id} has ${entries} history entries, not 1`);
  }
  for (let page = 1; ; page++) {
    const listed = JSON.parse(
      (await sendJson(agent, server, context, 'GET', `${COLLECTION}?per_page=100&page=${page}`)).body,
    );
    if (!Array.isArray(listed.result) || listed.result.length === 0) break;
    const previewed = listed.result.find((g: { name: string }) => g.name.startsWith(PREVIEW_NAME));
    if (previewed) problems.push(`a previewed create was written: ${JSON.stringify(previewed)}`);
  }
  const keyed = await createGroup(agent, server, context, {}, COLLECTION, { 'idempotency-key': PREVIEW_KEY });
  if (keyed.status !== 200 || keyed.headers['idempotent-replayed'] !== undefined) {
    problems.push(`a preview stored its Idempotency-Key: ${keyed.status} ${keyed.body.slice(0, 200)}`);
  }
  return problems;
}

/** The server logs every 5xx and every crash at level 50 (error) or above. */
function logProblems(server: Server): string[] {
  return (server.stdout() + server.stderr())
    .split('\n')
    .filter((line) => /"level":(5\d|60)/.test(line) || /Error|error:/.test(line.startsWith('{') ? '' : line))
    .map((line) => `server log: ${line.slice(0, 300)}`);
}

export async function runFuzz({
  requests,
  seed,
  concurrency = 16,
  maxFailures = 20,
  kinds = Object.keys(KINDS),
  log = () => {},
}: FuzzOptions): Promise<FuzzSummary> {
  const unknown = kinds.filter((kind) => !(kind in KINDS));
  if (unknown.length > 0) throw new Error(`no such kind: ${unknown.join(', ')}`);
  const weights = Object.fromEntries(
    kinds.map((kind) => [kind, (KINDS[kind] as (typeof KINDS)[string]).weight]),
  );
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'ringmaster-fuzz-'));
  const server = await startQuietServer(join(dir, 'fuzz.db'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const summary = emptySummary(seed, requests);
  const context: Context = {
    random: new Random(seed),
    token: server.token,
    stable: [],
    created: [],
    deleted: [],
    others: [],
    frozen: [],
    rings: [],
    rollouts: new Map(),
    otherRollouts: [],
    cursors: [],
    counter: 0,
  };
  let died: string | undefined;
  server.exited.then((code) => {
    died = `the server exited (code ${code})`;
  });

  try {
    for (let i = 0; i < 20; i++) {
      const answer = await createGroup(agent, server, context, { policy_ids: [`stable-${i}`] });
      if (answer.status !== 200) throw new Error(`could not create the stable groups: ${answer.body}`);
      context.stable.push(JSON.parse(answer.body).result.id);
    }
    const fixtures = await makeFixtures(agent, server, context);
    let next = 0;
    const worker = async () => {
      while (next < requests && summary.failures.length < maxFailures && died === undefined) {
        const index = next++;
        const c = (KINDS[context.random.weighted(weights)] as (typeof KINDS)[string]).generate(context);
        const sent = Date.now();
        const problems = await runCase(c, agent, server, summary).catch((error: Error) => [
          { problem: `request failed: ${error.message}` },
        ]);
        recordRequest(summary, c, Date.now() - sent);
        for (const problem of problems) recordViolation(summary, c, problem);
        if (index % 500 === 499) await healthCheck(server, summary, index);
        if (index % 10_000 === 9_999) log(`${index + 1} requests, ${summary.failures.length} violations`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    summary.failures.push(...(died ? [died] : await finalChecks(agent, server, context, fixtures)));
  } finally {
    agent.destroy();
    if (server.child.exitCode === null) server.child.kill('SIGTERM');
    const code = await server.exited;
    if (died === undefined && code !== 0) summary.failures.push(`the server exited ${code} on SIGTERM`);
    summary.failures.push(...logProblems(server));
    rmSync(dir, { recursive: true, force: true });
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

async function healthCheck(server: Server, summary: FuzzSummary, index: number): Promise<void> {
  const health = await fetch(`http://127.0.0.1:${server.port}/healthz`).catch((e: Error) => e);
  summary.healthChecks++;
  if (health instanceof Error || health.status !== 200) {
    const why = health instanceof Error ? health.message : health.status;
    summary.failures.push(`/healthz after ${index + 1} requests: ${why}`);
  }
}
