// `npm run fuzz`: the fuzzer's long run: 100,000 generated requests of every kind against the
// real server, checked against the contract; prints requests by kind and answers by status and code.
//   npm run fuzz -- [--requests N] [--seed S] [--concurrency N] [--max-failures N] [--kinds a,b,…]
import { parseArgs } from 'node:util';
import { formatSummary, runFuzz } from '../test/support/fuzz/runner.ts';
import { seedFrom } from '../test/support/random.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    'max-failures': { type: 'string', default: '100' },
    kinds: { type: 'string' },
  },
});
const seed = seedFrom(values.seed);
console.log(`fuzzing: ${values.requests} requests, seed ${seed}`);
const summary = await runFuzz({
  requests: Number(values.requests),
  seed,
  concurrency: Number(values.concurrency),
  maxFailures: Number(values['max-failures']),
  kinds: values.kinds?.split(','),
  log: (line) => console.log(`  ${line}`),
});
console.log(formatSummary(summary));
if (summary.failures.length > 0) {
  console.error(`\nFAILED: ${summary.failures.length} violations (replay with --seed ${seed})`);
  process.exitCode = 1;
}
