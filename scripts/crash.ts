// `npm run crash`: the crash test's long run: 16 concurrent writers against the real server,
// SIGKILL at a random moment, restart on the same file, check everything — 20 rounds by default.
//   npm run crash -- [--rounds N] [--writers N] [--seed S]
import { parseArgs } from 'node:util';
import { runCrashRounds } from '../test/support/crash.ts';
import { seedFrom } from '../test/support/random.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    writers: { type: 'string', default: '16' },
    seed: { type: 'string' },
  },
});
const seed = seedFrom(values.seed);
const started = Date.now();
console.log(`crash test: ${values.rounds} rounds, ${values.writers} writers, seed ${seed}`);
try {
  const figures = await runCrashRounds({
    rounds: Number(values.rounds),
    writers: Number(values.writers),
    seed,
    log: (line) => console.log(`  ${line}`),
  });
  console.log(
    [
      '',
      `rounds survived:          ${figures.rounds}`,
      `acknowledged writes:      ${figures.acknowledged} (${figures.acknowledgedCreates} creates, ${figures.acknowledgedUpdates} PATCHes)`,
      `lost writes:              ${figures.lost}`,
      `in flight at a kill:      ${figures.inFlight} (${figures.inFlightApplied} applied whole, ${figures.inFlight - figures.inFlightApplied} not at all, 0 partial)`,
      `groups / policy IDs:      ${figures.groups} / ${figures.policyIdsChecked} checked after every restart`,
      `integrity_check:          ok after every kill`,
      `time:                     ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed})`,
    ].join('\n'),
  );
} catch (error) {
  console.error(`\nFAILED (seed ${seed}; replay with --seed ${seed}):`);
  console.error(error);
  process.exitCode = 1;
}
