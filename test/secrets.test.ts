// Secrets never leak: the real server runs at LOG_LEVEL=trace while every
// route is called with valid, malformed, unknown, expired and revoked tokens and legacy keys, through the
// failure paths too (400, 401, 403, 404, 405, 409, 413, 415, 429, 431, 503, unparsable HTTP). Then the
// captured stdout and stderr — minus the one-time bootstrap banner, which is specified to show the
// operator token once — and every response (status line, headers, body) are searched for every secret,
// its random part alone, and its SHA-256 (hex and base64): none may appear. So is the audit trail, every
// way it can be read (docs/contract.md §8.2): both audit-log routes, each group's history, `ringmaster audit
// list --json` and the audit entries of a `db export` — including the entries of the credentials created
// and revoked at the command line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { formatTimestamp, nowNanos } from '../src/clock.ts';
import { openSqliteStore } from '../src/store/sqlite/store.ts';
import { TokenService } from '../src/tokens/service.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './support/app.ts';
import { rawExchange, rawRequest } from './support/raw-http.ts';
import { ROOT, type RunningServer, startServer } from './support/server.ts';

const EMAIL = 'ops@example.com';

let dir: string;
let file: string;
let env: Record<string, string>;
let server: RunningServer;
let port: number;
/** Everything the server sent back, for the search. */
let transcript = '';
/** What the CLI printed besides the secret it creates (stderr, `tokens list`, `tokens revoke`). */
let cliOutput = '';
/** The audit trail as every reader shows it, for the search. */
let auditText = '';

/** Every secret in play, by name. */
const secrets: Record<string, string> = {};

/** Runs a CLI command on the test's database, without blocking (so that several run side by side). */
function cli(args: string[], { record = true } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`ringmaster ${args.join(' ')} exited ${code}: ${stderr}`));
      // Only `create` prints a secret, alone on stdout (that is its purpose); everything else is searched.
      cliOutput += (args[1] === 'create' || !record ? '' : stdout) + stderr;
      resolve({ stdout, stderr });
    });
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringmaster-secrets-'));
  file = join(dir, 'secrets.db');
  env = {
    DATABASE_URL: `sqlite:${file}`,
    LOG_LEVEL: 'trace',
    // Low enough to reach in the test: per-credential limit and failed-authentication limit.
    RATE_LIMIT: '200/1m',
    AUTH_FAILURE_LIMIT: '400/1m',
  };
  server = await startServer(env);
  port = Number(new URL(server.baseUrl).port);
  assert.ok(server.operatorToken);
  secrets.operator = server.operatorToken;
  // A token and a key through the CLI, as an operator would; the rest through the same TokenService on a
  // second connection to the file, which is much faster than a process each.
  const [writer, key] = await Promise.all([
    cli(['tokens', 'create', '--account', ACCOUNT, '--permission', 'write', '--name', 'writer']),
    cli(['keys', 'create', '--email', EMAIL, '--account', ACCOUNT]),
  ]);
  secrets.writer = writer.stdout.trim();
  secrets.key = key.stdout.trim();
  let revokedKeyId: string;
  const store = openSqliteStore({ path: file });
  try {
    const tokens = new TokenService(store);
    const create = async (options: Parameters<TokenService['createToken']>[0]) =>
      (await tokens.createToken(options)).secret;
    secrets.reader = await create({ accounts: [ACCOUNT], permission: 'read' });
    secrets.limited = await create({ accounts: null, permission: 'write' });
    secrets.auditor = await create({ accounts: null, permission: 'read' });
    const soon = formatTimestamp(nowNanos() + 500_000_000n);
    secrets.expired = await create({ accounts: null, permission: 'write', expires_at: soon });
    const revoked = await tokens.createToken({ accounts: null, permission: 'write' });
    secrets.revoked = revoked.secret;
    await tokens.revoke(revoked.credential.id);
    const revokedKey = await tokens.createKey({ accounts: null, permission: 'write', email: EMAIL });
    secrets.revokedKey = revokedKey.secret;
    revokedKeyId = revokedKey.credential.id;
  } finally {
    await store.close();
  }
  await Promise.all([cli(['tokens', 'revoke', revokedKeyId]), cli(['tokens', 'list'])]);
  // Well-formed secrets the server never issued.
  secrets.unknownToken = `rmt_${randomBytes(32).toString('base64url')}`;
  secrets.unknownKey = `rmk_${randomBytes(32).toString('base64url')}`;
  // Let the short-lived token expire.
  await new Promise((resolve) => setTimeout(resolve, 600));
});

after(async () => {
  if (server.process.exitCode === null) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, body });
  const text = await response.text();
  transcript += `${response.status}\n${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}\n`;
  return response.status;
}

async function raw(data: string | Buffer): Promise<void> {
  const exchange = await rawExchange(port, data, { timeoutMs: 5000 });
  transcript += exchange.responses
    .map((r) => `${r.status}\n${JSON.stringify(r.headers)}\n${r.body}`)
    .join('\n');
  transcript += exchange.rest;
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const legacy = (secret: string, email = EMAIL) => ({ 'x-auth-email': email, 'x-auth-key': secret });
const json = { 'content-type': 'application/json' };

const collection = (account = ACCOUNT) => `/client/v4/accounts/${account}/devices/deployment-groups`;
const group = (name: string, policyIds?: string[]) =>
  JSON.stringify({
    name,
    version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
    ...(policyIds ? { policy_ids: policyIds } : {}),
  });

let policies = 0;

/** Every route, every method it serves and some it does not, with one set of credential headers. */
async function everyRoute(credentials: Record<string, string>, label: string): Promise<void> {
  await call('GET', '/client/v4/user/tokens/verify', credentials);
  await call('POST', '/client/v4/user/tokens/verify', credentials);
  for (const account of [ACCOUNT, OTHER_ACCOUNT]) {
    await call('GET', `${collection(account)}?per_page=5`, credentials);
    const status = await call(
      'POST',
      collection(account),
      { ...credentials, ...json },
      group(`${label} ${account}`),
    );
    // A group to read, change and delete: the admin's when this credential cannot create one. Its policy
    // ID (at most 36 characters, no spaces) is claimed again below for a 409.
    const policy = `secrets-${++policies}`;
    const response = await fetch(`http://127.0.0.1:${port}${collection(account)}`, {
      method: 'POST',
      headers: { ...bearer(secrets.operator as string), ...json },
      body: group(`${label} target`, [policy]),
    });
    const created = await response.json();
    // Past the operator's rate limit (the 429 checks run last) the create would fail, and with it every
    // success path below: it must not.
    assert.equal(response.status, 200, JSON.stringify(created));
    const id = created.result.id;
    await call('GET', `${collection(account)}/${id}`, credentials);
    await call(
      'PATCH',
      `${collection(account)}/${id}`,
      { ...credentials, ...json },
      JSON.stringify({ name: `${label} renamed` }),
    );
    // Failures after authentication: conflict, validation, bad JSON, wrong type, no route, wrong method.
    await call('POST', collection(account), { ...credentials, ...json }, group('conflict', [policy]));
    await call(
      'POST',
      collection(account),
      { ...credentials, ...json },
      JSON.stringify({ name: '', policy_id: 1 }),
    );
    await call('POST', collection(account), { ...credentials, ...json }, '{"name": "unterminated');
    await call('POST', collection(account), { ...credentials, 'content-type': 'text/plain' }, 'hello');
    await call('PUT', `${collection(account)}/${id}`, credentials);
    await call('GET', `${collection(account)}/not-a-uuid`, credentials);
    await call('GET', `/client/v4/accounts/${account}/no-such-route`, credentials);
    await call('DELETE', `${collection(account)}/${id}`, credentials);
    await call('DELETE', `${collection(account)}/${id}`, credentials);
    assert.ok(status > 0);
  }
  for (const path of ['/healthz', '/readyz', '/metrics', '/client/v4/openapi.json', '/']) {
    await call('GET', path, credentials);
  }
}

/** GETs with the auditor's token (its own rate limit), recorded in the transcript and the audit text. */
async function readAudit(path: string): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: bearer(secrets.auditor!) });
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: ${text}`);
  transcript += `${text}\n`;
  auditText += `${text}\n`;
  return JSON.parse(text);
}

/**
 * The audit trail through the API: both versions of the audit-log route, every page, for both accounts, and
 * the history of the groups they name. Returns the v1 entries of ACCOUNT.
 */
async function readAuditRoutes(): Promise<any[]> {
  const groups = new Set<string>();
  let own: any[] = [];
  for (const account of [ACCOUNT, OTHER_ACCOUNT]) {
    const v1: any[] = [];
    for (let page = 1; ; page++) {
      const { result } = await readAudit(
        `/client/v4/accounts/${account}/audit_logs?per_page=1000&page=${page}`,
      );
      if (result.length === 0) break;
      v1.push(...result);
    }
    if (account === ACCOUNT) own = v1;
    for (const entry of v1)
      if (entry.resource.type === 'deployment_group') groups.add(`${account} ${entry.resource.id}`);
    let cursor = '';
    do {
      const answer = await readAudit(
        `/client/v4/accounts/${account}/logs/audit?since=2000-01-01&before=2100-01-01&limit=1000${cursor}`,
      );
      cursor = answer.result_info.cursor ? `&cursor=${encodeURIComponent(answer.result_info.cursor)}` : '';
    } while (cursor);
  }
  // A history per group, up to the auditor's rate limit.
  for (const pair of [...groups].slice(0, 120)) {
    const [account, id] = pair.split(' ');
    await readAudit(`/ringmaster/v1/accounts/${account}/deployment-groups/${id}/history?per_page=50`);
  }
  return own;
}

test('never writes a secret, its random part or its hash to the logs or to any response', async (context) => {
  const credentialSets: [string, Record<string, string>][] = [
    ['operator', bearer(secrets.operator!)],
    ['writer', bearer(secrets.writer!)],
    ['reader', bearer(secrets.reader!)],
    ['expired', bearer(secrets.expired!)],
    ['revoked', bearer(secrets.revoked!)],
    ['unknown token', bearer(secrets.unknownToken!)],
    ['key', legacy(secrets.key!)],
    ['key with another email', legacy(secrets.key!, 'someone@example.com')],
    ['revoked key', legacy(secrets.revokedKey!)],
    ['unknown key', legacy(secrets.unknownKey!)],
    ['key as a bearer token', bearer(secrets.key!)],
    ['token as a legacy key', legacy(secrets.writer!)],
    // Malformed: the secret is there, but not in a shape the server accepts.
    ['malformed bearer', { authorization: `Bearer ${secrets.writer} trailing` }],
    ['basic scheme', { authorization: `Basic ${secrets.writer}` }],
    ['no scheme', { authorization: secrets.writer! }],
    ['malformed key', legacy(`${secrets.key}!`)],
    ['key without email', { 'x-auth-key': secrets.key! }],
    ['no credentials', {}],
  ];
  for (const [label, headers] of credentialSets) await everyRoute(headers, label);

  // Protocol-level failures carrying a secret: oversized headers, unparsable HTTP, an oversized body.
  await raw(
    rawRequest({
      path: collection(),
      headers: [
        ['Authorization', `Bearer ${secrets.writer}`],
        ['X-Padding', 'a'.repeat(17 * 1024)],
      ],
    }),
  );
  await raw(
    `GET ${collection()} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${secrets.writer}\r\nBroken header\r\n\r\n`,
  );
  await raw(`GET /${secrets.writer} HTTP/9.9\r\nAuthorization: Bearer ${secrets.writer}\r\n\r\n`);
  await call(
    'POST',
    collection(),
    { ...bearer(secrets.writer!), ...json },
    `{"name":"${'x'.repeat(1024 * 1024)}"}`,
  );

  // A client that puts a secret in the URL: logged and echoed URLs mask it.
  await call('GET', `${collection()}?api_token=${secrets.writer}`, bearer(secrets.writer!));
  await call('GET', `/client/v4/${secrets.writer}`, {});
  await call('GET', `/client/v4/accounts/${secrets.key}/devices/deployment-groups`, bearer(secrets.writer!));
  // ... wherever the secret starts, and however much of it is percent-encoded, once or twice.
  const writer = secrets.writer!;
  const hex = (text: string, i: number) => `%${text.charCodeAt(i).toString(16)}`;
  for (const path of [
    `${collection()}?auth=Bearer%20${writer}`,
    `/client/v4/x%22${writer}`,
    `/client/v4/a_${writer}`,
    `/client/v4/${hex(writer, 0)}${writer.slice(1)}`,
    `/client/v4/%25${hex(writer, 0).slice(1)}${writer.slice(1)}`,
    `/client/v4/${writer.slice(0, 4)}${hex(writer, 4)}${hex(writer, 5)}${writer.slice(6)}`,
    `/client/v4/${Array.from(secrets.key!, (_, i) => hex(secrets.key!, i)).join('')}`,
  ]) {
    await call('GET', path, {});
    await call('GET', path, bearer(writer));
  }

  // The audit trail, read back, with the CLI's credential entries in it: the writer token and the key
  // created, a key revoked (that one grants every account, so ACCOUNT sees it as a user-level entry).
  const entries = await readAuditRoutes();
  const credentialEntries = entries
    .filter((e) => e.resource.type !== 'deployment_group')
    .map((e) => `${e.resource.type} ${e.action.type} ${e.interface}`);
  for (const expected of ['api_token create CLI', 'api_key create CLI', 'api_key revoke CLI']) {
    assert.ok(credentialEntries.includes(expected), `${expected} in ${JSON.stringify(credentialEntries)}`);
  }
  assert.ok(entries.some((e) => e.resource.type === 'deployment_group'));

  // 429: the per-credential limit (RATE_LIMIT) ...
  // Windows are fixed and aligned to the minute: allow for one window boundary passing mid-loop.
  let limited = 0;
  for (let i = 0; i < 2 * 200 + 20 && limited !== 429; i++)
    limited = await call('GET', collection(), bearer(secrets.limited!));
  assert.equal(limited, 429);
  // ... and 503: the database locked by another process, so a write fails after the busy timeout.
  const locker = new BetterSqlite3(file);
  try {
    locker.exec('BEGIN IMMEDIATE');
    assert.equal(
      await call('POST', collection(), { ...bearer(secrets.writer!), ...json }, group('while locked')),
      503,
    );
  } finally {
    locker.exec('ROLLBACK');
    locker.close();
  }
  // Last, the failed-authentication limit per address (AUTH_FAILURE_LIMIT): failures past it get 429.
  let blocked = 0;
  for (let i = 0; i < 2 * 400 + 20 && blocked !== 429; i++)
    blocked = await call('GET', collection(), bearer(secrets.unknownToken!));
  assert.equal(blocked, 429);
  assert.equal(await call('GET', collection(), legacy(secrets.unknownKey!)), 429);

  assert.equal(await server.stop(), 0);
  // The operator's view of the trail, and the audit entries of a backup (only those: a backup carries the
  // credentials' hashes on purpose, to restore them).
  auditText += (await cli(['audit', 'list', '--json'])).stdout;
  const backup = (await cli(['db', 'export'], { record: false })).stdout.split('\n');
  const exported = backup.filter((line) => line.includes('"type":"audit_entry"'));
  assert.ok(
    exported.some((line) => line.includes('"resource_type":"api_token"')),
    'credential entries exported',
  );
  auditText += exported.join('\n');
  const stdout = server.stdout();
  const stderr = server.stderr();

  // The banner is the one place the operator token may appear: the search must find it there ...
  const banner = /\nRingmaster created an operator token[\s\S]*?\/user\/tokens\/verify\n/.exec(stderr);
  assert.ok(banner, 'the bootstrap banner is on stderr');
  assert.ok(banner[0].includes(secrets.operator!), 'the search finds a secret where one is');
  const logs = stdout + stderr.replace(banner[0], '');
  // Request lines name the credential that made the request by its id (an audit trail without secrets).
  assert.match(
    logs,
    /"msg":"request".*"credential":"[0-9a-f]{32}"|"credential":"[0-9a-f]{32}".*"msg":"request"/,
  );

  // ... and nowhere else. Every log line is JSON; trace level logged something for every request.
  const lines = stdout.split('\n').filter((line) => line !== '');
  for (const line of lines) JSON.parse(line);
  assert.ok(lines.length > 500, `${lines.length} log lines`);
  // A reader decodes a URL: search the percent-decoded text too (twice decoded, for double encoding).
  const decoded = (text: string) =>
    text.replace(/%([0-9a-f]{2})/gi, (_, code: string) => String.fromCharCode(Number.parseInt(code, 16)));
  const searched = {
    logs: `${logs}\n${decoded(decoded(logs))}`,
    response: `${transcript}\n${decoded(decoded(transcript))}`,
    audit: auditText,
  };
  const leaks: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    const randomPart = secret.slice(4);
    const digest = createHash('sha256').update(secret).digest();
    const forms: Record<string, string> = {
      secret,
      'random part': randomPart,
      'random part (first 16)': randomPart.slice(0, 16),
      'sha256 hex': digest.toString('hex'),
      'sha256 HEX': digest.toString('hex').toUpperCase(),
      'sha256 hex (first 16)': digest.toString('hex').slice(0, 16),
      'sha256 base64': digest.toString('base64'),
      'sha256 base64url': digest.toString('base64url'),
    };
    for (const [form, value] of Object.entries(forms)) {
      if (searched.logs.includes(value)) leaks.push(`${name} (${form}) in the logs`);
      if (searched.response.includes(value)) leaks.push(`${name} (${form}) in a response`);
      if (cliOutput.includes(value)) leaks.push(`${name} (${form}) in the CLI's messages`);
      if (searched.audit.includes(value)) leaks.push(`${name} (${form}) in an audit entry`);
    }
  }
  assert.deepEqual(leaks, []);
  context.diagnostic(
    `${Object.keys(secrets).length} secrets × 8 forms searched in ${lines.length} log lines ` +
      `(${logs.length} bytes), ${transcript.length} bytes of responses and ${auditText.length} bytes of ` +
      `audit trail (${entries.length} v1 entries of one account, audit list, export): 0 leaks`,
  );
});
