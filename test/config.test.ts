// DATABASE_URL selects the backend; DATABASE_POOL_SIZE sizes the PostgreSQL pool (docs/deployment.md).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';

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
