// The server's log lines: JSON for collectors (the default off a terminal) or one readable line per entry
// (LOG_FORMAT=pretty, the default on a terminal), and the version in the `listening` line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { prettyLine, TurnBatch } from '../src/logging/logger.ts';
import { ROOT, spawnServe, startServer } from './support/server.ts';

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'ringmaster-logging-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a pretty line: time, level, message, then the fields; an error’s stack indented below', () => {
  const time = Date.UTC(2026, 11, 6, 17, 33, 41, 123);
  assert.equal(
    prettyLine(
      JSON.stringify({
        level: 30,
        time,
        pid: 1,
        hostname: 'h',
        msg: 'listening',
        url: 'http://x/',
        ok: true,
      }),
    ),
    '17:33:41.123 INFO  listening url=http://x/ ok=true\n',
  );
  assert.equal(
    prettyLine(
      JSON.stringify({ level: 40, time, msg: 'redis unavailable', error: 'connect ECONNREFUSED 1.2.3.4:1' }),
    ),
    '17:33:41.123 WARN  redis unavailable error="connect ECONNREFUSED 1.2.3.4:1"\n',
  );
  const error = prettyLine(
    JSON.stringify({
      level: 50,
      time,
      msg: 'failed',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
    }),
  );
  assert.equal(error, '17:33:41.123 ERROR failed err=boom\n    Error: boom\n        at x\n');
  assert.equal(prettyLine('not json\n'), 'not json\n');
});

test('LOG_FORMAT=pretty: the server logs readable lines, the listening one with its version and URL', async () => {
  const serve = spawnServe({ DATABASE_URL: `sqlite:${join(dir, 'pretty.db')}`, LOG_FORMAT: 'pretty' });
  try {
    const listening = new RegExp(
      `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  listening version=${version.replaceAll('.', '\\.')} url=http://127\\.0\\.0\\.1:\\d+/client/v4 `,
      'm',
    );
    for (let waited = 0; !listening.test(serve.stdout()) && waited < 20_000; waited += 100)
      await setTimeout(100);
    assert.match(serve.stdout(), listening);
    assert.doesNotMatch(serve.stdout(), /^\{/m, 'no JSON line');
  } finally {
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0);
  }
});

test('JSON by default where stdout is not a terminal; the listening line carries the version', async () => {
  const server = await startServer({ DATABASE_URL: `sqlite:${join(dir, 'json.db')}` });
  try {
    const line = server
      .stdout()
      .split('\n')
      .find((l) => l.includes('"msg":"listening"')) as string;
    assert.equal(JSON.parse(line).version, version);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('the lines of one event-loop turn go out as one write, at the end of that turn', async () => {
  const writes: string[] = [];
  const batch = new TurnBatch({ write: (text: string) => writes.push(text) });
  batch.write('{"a":1}\n');
  batch.write('{"a":2}\n');
  assert.deepEqual(writes, [], 'held until the turn ends');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, ['{"a":1}\n{"a":2}\n']);
  batch.write('{"a":3}\n'); // a quiet moment: out in the next turn, alone
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, ['{"a":1}\n{"a":2}\n', '{"a":3}\n']);
});

for (const [how, end] of [
  ['process.exit() in the same turn', 'process.exit(3)'],
  ['an uncaught exception in the same turn', 'throw new Error("boom")'],
] as const) {
  test(`lines held when the process ends by ${how} are written, and one written while it exits`, () => {
    const script = `
      import { createLogger } from './src/logging/logger.ts';
      const log = createLogger('info', 'json');
      process.on('exit', () => log.info('from an exit listener'));
      log.info('first');
      log.info('second');
      ${end};`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const messages = child.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).msg);
    assert.deepEqual(messages, ['first', 'second', 'from an exit listener'], child.stderr);
  });
}
