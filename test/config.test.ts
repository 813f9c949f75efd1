// Configuration from the environment: DATABASE_URL selects the backend, DATABASE_POOL_SIZE sizes the
// PostgreSQL pool (docs/deployment.md); every value is checked strictly at start and every problem is
// reported in one list; and the one VARIABLES table is what the help and README list.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadClientSettings, loadConfig, VARIABLES, variablesMarkdown } from '../src/config.ts';
import { ROOT, runCli } from './support/server.ts';

describe('database configuration', () => {
  test('postgres:// and postgresql:// select PostgreSQL with a pool of 10 by default', () => {
    for (const url of [
      'postgres://u@db:5432/ringmaster',
      'postgresql://u:secret@db/ringmaster?sslmode=require',
    ]) {
      assert.deepEqual(loadConfig({ DATABASE_URL: url }).database, { kind: 'postgres', url, poolSize: 10 });
    }
  });

  test('DATABASE_POOL_SIZE sets the pool size', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db/r', DATABASE_POOL_SIZE: '25' });
    assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://u@db/r', poolSize: 25 });
  });

  test('a bad DATABASE_POOL_SIZE is named in the one error, beside every other bad variable', () => {
    for (const size of ['0', '-1', '2.5', 'ten', '1001']) {
      const error = (() => {
        try {
          loadConfig({ DATABASE_POOL_SIZE: size, PORT: 'abc' });
        } catch (caught) {
          return caught;
        }
        assert.fail(`DATABASE_POOL_SIZE=${size} was accepted`);
      })();
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 2, error.message);
      assert.match(
        error.message,
        new RegExp(`DATABASE_POOL_SIZE must be an integer from 1 to 1000, got "${size}"`),
      );
      assert.match(error.message, /PORT/);
    }
  });
});

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, { stdoutIsTty: false });
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
}

describe('strict configuration: every bad value refused up front, all in one list', () => {
  test('PORT is decimal digits from 0 to 65535; a blank PORT is refused, not a random port', () => {
    assert.equal(loadConfig({ PORT: '19101' }).port, 19101);
    assert.equal(loadConfig({ PORT: '0' }).port, 0);
    assert.equal(loadConfig({}).port, 8787);
    for (const bad of ['0x4A9D', '1e3', '19101.0', '', ' ', '-1', '65536', '+80', '８０']) {
      assert.deepEqual(problemsOf({ PORT: bad }), [
        `PORT must be decimal digits from 0 to 65535, got ${JSON.stringify(bad)}`,
      ]);
    }
  });

  test('HOST is an IP address or a host name', () => {
    for (const good of [
      '127.0.0.1',
      '0.0.0.0',
      '::',
      '::1',
      'localhost',
      'api.internal',
      'db-1.example.com',
    ]) {
      assert.equal(loadConfig({ HOST: good }).host, good);
    }
    for (const bad of [
      '256.1.1.1',
      '1.2.3',
      'exa mple',
      '-bad.example',
      'a..b',
      '',
      'http://x',
      `${'a'.repeat(64)}.com`,
    ]) {
      const problems = problemsOf({ HOST: bad });
      assert.equal(problems.length, 1, `HOST=${bad}`);
      assert.match(problems[0] as string, /^HOST must be an IP address .* or a host name, got /);
    }
  });

  test('TARGET_ENVIRONMENTS may not name an environment twice', () => {
    assert.deepEqual(loadConfig({ TARGET_ENVIRONMENTS: 'windows,macos,linux' }).targetEnvironments, [
      'windows',
      'macos',
      'linux',
    ]);
    assert.deepEqual(problemsOf({ TARGET_ENVIRONMENTS: 'windows,windows' }), [
      'TARGET_ENVIRONMENTS names windows more than once',
    ]);
  });

  test('LOG_FORMAT is pretty or json; unset, pretty on a terminal and json elsewhere', () => {
    assert.equal(loadConfig({}, { stdoutIsTty: true }).logFormat, 'pretty');
    assert.equal(loadConfig({}, { stdoutIsTty: false }).logFormat, 'json');
    assert.equal(loadConfig({ LOG_FORMAT: 'json' }, { stdoutIsTty: true }).logFormat, 'json');
    assert.equal(loadConfig({ LOG_FORMAT: 'pretty' }, { stdoutIsTty: false }).logFormat, 'pretty');
    assert.deepEqual(problemsOf({ LOG_FORMAT: 'text' }), ['LOG_FORMAT must be pretty or json, got "text"']);
  });

  test('every problem of the issue is reported together, in the one list', () => {
    const problems = problemsOf({
      TRUST_PROXY: '1.2.3.4/999',
      TARGET_ENVIRONMENTS: 'windows,windows',
      HOST: '256.1.1.1',
      PORT: '1e3',
      LOG_FORMAT: 'loud',
      REDIS_URL: 'http://redis:6379',
    });
    assert.deepEqual(
      problems.map((problem) => problem.split(' ')[0]),
      ['HOST', 'PORT', 'LOG_FORMAT', 'TARGET_ENVIRONMENTS', 'TRUST_PROXY', 'REDIS_URL'],
    );
    assert.deepEqual(problemsOf({ TRUST_PROXY: 'bad' }).length, 1);
  });
});

describe('one list of environment variables: config parsing, the help and README', () => {
  /** Every variable name loadConfig and loadClientSettings look up, whatever the environment holds. */
  function variablesRead(): string[] {
    const read = new Set<string>();
    const env = new Proxy({} as NodeJS.ProcessEnv, {
      get(_target, name) {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    });
    loadConfig(env, { stdoutIsTty: false });
    loadClientSettings(env);
    return [...read].sort();
  }

  test('every variable the configuration reads is in VARIABLES, and nothing else in src/ reads the environment', () => {
    const read = variablesRead();
    assert.ok(read.includes('PORT') && read.includes('CLOUDFLARE_API_TOKEN'), read.join(', '));
    assert.deepEqual(read, Object.keys(VARIABLES).sort());
    const readers = execFileSync('grep', ['-rlE', 'process\\.env\\b', 'src'], { cwd: ROOT, encoding: 'utf8' })
      .trim()
      .split('\n');
    assert.deepEqual(readers, ['src/config.ts']);
  });

  test('ringmaster --help names every variable with its default', () => {
    const help = runCli(['--help']);
    assert.equal(help.status, 0);
    for (const name of variablesRead()) {
      assert.match(help.stdout, new RegExp(`^  ${name} \\(default: `, 'm'), `${name} is in the help`);
    }
  });

  test("README's configuration table is the one rendered from VARIABLES", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = variablesMarkdown();
    assert.ok(
      readme.includes(`${table}\n`),
      `README.md's configuration table differs from VARIABLES; it should read:\n${table}`,
    );
    for (const name of variablesRead()) assert.ok(table.includes(`| \`${name}\` |`), name);
  });
});
