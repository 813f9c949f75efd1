// SIGKILL under concurrent writes, a few rounds (scripts/crash.ts runs 20): nothing acknowledged is lost,
// nothing in flight is half-applied, every change has its audit entry and no entry is without its change,
// and SQLite's integrity check passes. On SQLite, and on PostgreSQL when RINGMASTER_TEST_POSTGRES_URL is
// set. See test/support/crash.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CrashFigures, runCrashRounds } from './support/crash.ts';
import { POSTGRES_URL, reportPostgresSkipped } from './support/postgres.ts';
import { seedFrom } from './support/random.ts';

async function crash(context: test.TestContext, postgresUrl?: string): Promise<CrashFigures> {
  const seed = seedFrom(process.env.CRASH_SEED);
  const figures = await runCrashRounds({
    rounds: Number(process.env.CRASH_ROUNDS ?? 3),
    writers: 16,
    seed,
    postgresUrl,
    log: (line) => context.diagnostic(line),
  });
  context.diagnostic(
    `${figures.backend}, seed ${figures.seed}: ${figures.rounds} rounds, ${figures.acknowledged} acknowledged writes ` +
      `(${figures.acknowledgedCreates} creates, ${figures.acknowledgedUpdates} PATCHes, ` +
      `${figures.acknowledgedDeletes} DELETEs, ${figures.acknowledgedReverts} reverts), ${figures.lost} lost, ` +
      `${figures.inFlight} in flight at a kill (${figures.inFlightApplied} applied whole, the rest not at all), ` +
      `${figures.auditEntries} audit entries checked`,
  );
  assert.equal(figures.lost, 0);
  assert.ok(figures.acknowledged > 0, 'the writers must have written something');
  assert.ok(figures.auditEntries >= figures.acknowledged, 'every acknowledged change has its entry');
  return figures;
}

test('keeps every acknowledged write and its audit entry, and every in-flight write all-or-nothing, across SIGKILLs of the server (SQLite)', async (context) => {
  await crash(context);
});

reportPostgresSkipped('crash test (PostgreSQL)');
test('keeps every acknowledged write and its audit entry across SIGKILLs of the server (PostgreSQL)', {
  skip: !POSTGRES_URL && 'RINGMASTER_TEST_POSTGRES_URL is not set',
}, async (context) => {
  await crash(context, POSTGRES_URL);
});
