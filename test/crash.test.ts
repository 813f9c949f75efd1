// SIGKILL under concurrent writes, a few rounds (scripts/crash.ts runs 20): nothing acknowledged is lost,
// nothing in flight is half-applied, and SQLite's integrity check passes. See test/support/crash.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCrashRounds } from './support/crash.ts';
import { seedFrom } from './support/random.ts';

test('keeps every acknowledged write, and every in-flight write all-or-nothing, across SIGKILLs of the server', async (context) => {
  const seed = seedFrom(process.env.CRASH_SEED);
  const figures = await runCrashRounds({
    rounds: Number(process.env.CRASH_ROUNDS ?? 3),
    writers: 16,
    seed,
    log: (line) => context.diagnostic(line),
  });
  context.diagnostic(
    `seed ${figures.seed}: ${figures.rounds} rounds, ${figures.acknowledged} acknowledged writes ` +
      `(${figures.acknowledgedCreates} creates, ${figures.acknowledgedUpdates} PATCHes), ${figures.lost} lost, ` +
      `${figures.inFlight} in flight at a kill (${figures.inFlightApplied} applied whole, the rest not at all)`,
  );
  assert.equal(figures.lost, 0);
  assert.ok(figures.acknowledged > 0, 'the writers must have written something');
});
