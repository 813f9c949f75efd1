// A sample of the fuzzer (scripts/fuzz.ts sends 100,000): generated requests of every kind against the
// real server — never a 5xx, never a crash, always the envelope with the right code. See test/support/fuzz/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSummary, runFuzz } from './support/fuzz/runner.ts';
import { seedFrom } from './support/random.ts';

test('answers generated bad requests of every kind with the right envelope, never a 5xx, and stays up', async (context) => {
  const summary = await runFuzz({
    requests: Number(process.env.FUZZ_REQUESTS ?? 2000),
    // A fixed seed keeps `npm test` reproducible; `npm run fuzz` draws a new one each run.
    seed: seedFrom(process.env.FUZZ_SEED ?? '20260701'),
  });
  for (const line of formatSummary(summary).split('\n')) context.diagnostic(line);
  assert.deepEqual(summary.failures, [], `replay with FUZZ_SEED=${summary.seed}`);
});
