// `npm run bench:startup` (and the first part of `npm run bench`): how long a test suite waits for its
// Ringmaster (docs/testing.md). Both starts run on the built package (dist/), 10 times each, in a fresh
// process each time, and the median is printed:
//   in-process      `node -e "import('ringmaster/testing').then(m => m.startRingmaster())"`: from the
//                   process start to the resolved promise (import included);
//   out-of-process  `ringmaster serve --test-mode --memory --port 0 --print-env`: from spawn to the last
//                   export line on stdout (the server accepts connections before printing it).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RUNS = 10;

if (!existsSync(`${ROOT}dist/testing/index.js`)) {
  process.stderr.write('bench/startup: build first (npm run build)\n');
  process.exit(1);
}

/** Spawns `args` and resolves to the milliseconds until `done` holds for its stdout; then kills it. */
function timeUntil(args: string[], done: (stdout: string) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    let elapsed: number | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (elapsed !== undefined || !done(stdout)) return;
      elapsed = performance.now() - started;
      child.kill('SIGTERM');
    });
    child.once('exit', (code) => {
      if (elapsed !== undefined) resolve(elapsed);
      else reject(new Error(`${args.join(' ')} exited ${code} before it was ready`));
    });
  });
}

const IN_PROCESS = `
const { startRingmaster } = await import('${ROOT}dist/testing/index.js');
const t0 = performance.now();
const rm = await startRingmaster();
console.log(JSON.stringify({ total: performance.now(), start: performance.now() - t0 }));
await rm.stop();
`;

async function inProcess(): Promise<{ total: number; start: number }> {
  let figures = { total: 0, start: 0 };
  // performance.now() counts from the process's own start: the import and the start, nothing of the spawn.
  await timeUntil(['--input-type=module', '-e', IN_PROCESS], (stdout) => {
    if (!stdout.includes('\n')) return false;
    figures = JSON.parse(stdout);
    return true;
  });
  return figures;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const ms = (value: number) => `${value.toFixed(0)} ms`;

const totals: number[] = [];
const starts: number[] = [];
const outOfProcess: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const figures = await inProcess();
  totals.push(figures.total);
  starts.push(figures.start);
  outOfProcess.push(
    await timeUntil(
      ['dist/cli/main.js', 'serve', '--test-mode', '--memory', '--port', '0', '--print-env'],
      (stdout) => stdout.includes('RINGMASTER_PID='),
    ),
  );
}
process.stdout.write(
  [
    `Test-mode start-up, median of ${RUNS} fresh processes (Node ${process.version}):`,
    `  in-process      startRingmaster() ${ms(median(starts))}; with the import, from process start ${ms(median(totals))}`,
    `  out-of-process  ringmaster serve --test-mode --memory --port 0 --print-env, spawn to env: ${ms(median(outOfProcess))}`,
    '',
  ].join('\n'),
);
