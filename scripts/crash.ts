// `npm run crash`: the crash test's long run: 16 concurrent writers against the real server,
// SIGKILL at a random moment, restart on the same database, check everything (the groups, policy
// ownership, the audit trail) — 20 rounds by default, on SQLite, or on PostgreSQL with --postgres.
//   npm run crash -- [--rounds N] [--writers N] [--seed S] [--postgres postgres://…/db]
import { parseArgs } from 'node:util';
import { runCrashRounds } from '../test/support/crash.ts';
import { seedFrom } from '../test/support/random.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    writers: { type: 'string', default: '16' },
    seed: { type: 'string' },
    postgres: { type: 'string' },
  },
});
const seed = seedFrom(values.seed);
const started = Date.now();
const backend = values.postgres ? 'PostgreSQL (a fresh database, dropped after)' : 'SQLite';
console.log(`crash test: ${values.rounds} rounds, ${values.writers} writers, seed ${seed}, ${backend}`);
try {
  const f = await runCrashRounds({
    rounds: Number(values.rounds),
    writers: Number(values.writers),
    seed,
    postgresUrl: values.postgres,
    log: (line) => console.log(`  ${line}`),
  });
  console.log(
    [
      '',
      `rounds survived:          ${f.rounds} (${f.backend})`,
      `acknowledged writes:      ${f.acknowledged} (${f.acknowledgedCreates} creates, ${f.acknowledgedUpdates} PATCHes, ${f.acknowledgedDeletes} DELETEs, ${f.acknowledgedReverts} reverts)`,
      `lost writes:              ${f.lost}`,
      `in flight at a kill:      ${f.inFlight} (${f.inFlightApplied} applied whole, ${f.inFlight - f.inFlightApplied} not at all, 0 partial)`,
      `groups / policy IDs:      ${f.groups} / ${f.policyIdsChecked} checked after every restart`,
      `audit entries:            ${f.auditEntries}, each change's and no other, revisions without gaps, checked after every restart`,
      f.backend === 'sqlite' ? 'integrity_check:          ok after every kill' : '',
      `time:                     ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed})`,
    ]
      .filter((line) => line !== '')
      .join('\n'),
  );
} catch (error) {
  console.error(`\nFAILED (seed ${seed}; replay with --seed ${seed}):`);
  console.error(error);
  process.exitCode = 1;
}
