// Version targets across real processes (docs/contract.md §8.4, "Freshness"): two `ringmaster serve`
// replicas on one PostgreSQL database see each other's writes within 1 s; on SQLite, which one server
// serves (docs/decisions/0007-one-server-per-sqlite-file.md), the server sees a `ringmaster db import`
// run by another process within 1 s. And the command line: `tokens create --permission targets`, a
// token that reads only the version targets, and `targets get`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACCOUNT } from './support/accounts.ts';
import { callApi } from './support/api.ts';
import {
  createTestDatabase,
  POSTGRES_URL,
  reportPostgresSkipped,
  type TestDatabase,
} from './support/postgres.ts';
import { ROOT, type RunningServer, runCliAsync, startServer } from './support/server.ts';

reportPostgresSkipped('version targets across PostgreSQL replicas');

const GROUPS = `/accounts/${ACCOUNT}/devices/deployment-groups`;
const TARGETS = `/ringmaster/v1/accounts/${ACCOUNT}/version-targets`;
const origin = (server: RunningServer) => server.baseUrl.replace(/\/client\/v4$/, '');
const group = (policy: string, version: string) => ({
  name: `ring ${randomUUID()}`,
  version_config: [{ target_environment: 'windows', version }],
  policy_ids: [policy],
});

/** The version `server` answers for `policy` on windows (null for none). */
async function versionOn(server: RunningServer, token: string, policy: string): Promise<string | null> {
  const answer = await callApi(
    origin(server),
    token,
    'GET',
    `${TARGETS}?policy_id=${policy}&target_environment=windows`,
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body.result?.version ?? null;
}

/** Polls until `server` answers `expected`; resolves to how long that took after `since`, in ms. */
async function seenWithin(
  server: RunningServer,
  token: string,
  policy: string,
  expected: string | null,
  since: number,
): Promise<number> {
  for (;;) {
    const seen = await versionOn(server, token, policy);
    const elapsed = performance.now() - since;
    if (seen === expected) return elapsed;
    assert.ok(elapsed < 5000, `still ${seen} after ${Math.round(elapsed)} ms`);
    await sleep(20);
  }
}

describe('version targets across two PostgreSQL replicas', { skip: !POSTGRES_URL }, () => {
  let database: TestDatabase;
  let a: RunningServer;
  let b: RunningServer;
  let token: string;

  before(async () => {
    database = await createTestDatabase();
    a = await startServer({ DATABASE_URL: database.url });
    b = await startServer({ DATABASE_URL: database.url });
    token = a.operatorToken as string;
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it('shows a write on one replica on the other within 1 s, each way, deletes too', async () => {
    const policy = randomUUID();
    const created = await callApi(a.baseUrl, token, 'POST', GROUPS, group(policy, '2026.6.1.0'));
    assert.equal(created.status, 200, created.text);
    const id = created.body.result.id;
    // Both replicas hold the account from here on (a lookup loads it).
    assert.equal((await seenWithin(b, token, policy, '2026.6.1.0', performance.now())) < 5000, true);
    assert.equal(await versionOn(a, token, policy), '2026.6.1.0');
    const steps: [RunningServer, RunningServer, string | null][] = [
      [a, b, '2026.6.2.0'],
      [b, a, '2026.6.3.0'],
      [a, b, null],
    ];
    for (const [writer, reader, version] of steps) {
      const started = performance.now();
      const answer =
        version === null
          ? await callApi(writer.baseUrl, token, 'DELETE', `${GROUPS}/${id}`)
          : await callApi(writer.baseUrl, token, 'PATCH', `${GROUPS}/${id}`, {
              version_config: [{ target_environment: 'windows', version }],
            });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(await versionOn(writer, token, policy), version, 'the writer at once');
      const elapsed = await seenWithin(reader, token, policy, version, started);
      assert.ok(elapsed < 1000, `the other replica after ${Math.round(elapsed)} ms`);
    }
  });
});

describe('version targets on SQLite, written by another process', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: RunningServer;
  let token: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringmaster-targets-process-'));
    env = { DATABASE_URL: `sqlite:${join(dir, 'ringmaster.db')}` };
    server = await startServer(env);
    token = server.operatorToken as string;
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees `ringmaster db import --replace` from another process within 1 s', async () => {
    const policy = randomUUID();
    const created = await callApi(server.baseUrl, token, 'POST', GROUPS, group(policy, '2026.6.1.0'));
    assert.equal(created.status, 200, created.text);
    assert.equal(await versionOn(server, token, policy), '2026.6.1.0');

    const exported = await runCliAsync(['db', 'export'], env);
    assert.equal(exported.status, 0, exported.stderr);
    const backup = join(dir, 'backup.jsonl');
    writeFileSync(backup, exported.stdout.replaceAll('2026.6.1.0', '2026.6.9.0'));
    const imported = await runImport(env, backup);
    const started = performance.now();
    assert.equal(imported.status, 0, imported.stderr);
    const elapsed = await seenWithin(server, token, policy, '2026.6.9.0', started);
    assert.ok(elapsed < 1000, `seen after ${Math.round(elapsed)} ms`);
  });

  it('creates a targets token that reads the version targets and nothing else; `targets get` uses it', async () => {
    const policy = randomUUID();
    const created = await callApi(server.baseUrl, token, 'POST', GROUPS, group(policy, '2026.6.5.0'));
    assert.equal(created.status, 200, created.text);
    const made = await runCliAsync(
      ['tokens', 'create', '--account', ACCOUNT, '--permission', 'targets', '--name', 'devices'],
      env,
    );
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stderr, /Version Targets Read/);
    const targets = made.stdout.trim();
    assert.equal(await versionOn(server, targets, policy), '2026.6.5.0');
    const refused = await callApi(server.baseUrl, targets, 'GET', GROUPS);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.errors[0].code, 10000);

    const connection = ['--base-url', server.baseUrl, '--token', targets, '--account', ACCOUNT];
    const shown = await runCliAsync([
      'targets',
      'get',
      '--policy',
      policy,
      '--env',
      'windows',
      ...connection,
    ]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /VERSION/);
    assert.match(shown.stdout, /2026\.6\.5\.0/);
    const json = await runCliAsync([
      'targets',
      'get',
      '--policy',
      policy,
      '--env',
      'macos',
      '--json',
      ...connection,
    ]);
    assert.equal(json.status, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout), null);
    const bad = await runCliAsync(['tokens', 'create', '--all-accounts', '--permission', 'devices'], env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /read, write or targets/);
  });
});

/** `ringmaster db import --replace < backup` in a process of its own; resolves when it has exited. */
function runImport(
  env: Record<string, string>,
  backup: string,
): Promise<{ status: number | null; stderr: string }> {
  const input = openSync(backup, 'r');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'db', 'import', '--replace'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: [input, 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => {
      closeSync(input);
      resolve({ status, stderr });
    });
  });
}
