// `ringmaster rollouts …` as a subprocess against a real server (docs/contract.md §8.5), through the API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type CliServer, runCli, startCliServer } from './support/server.ts';

let server: CliServer;

before(async () => {
  server = await startCliServer('rollouts');
});

after(() => server.stop());

const cli = (args: string[]) => runCli(args, server.env);

function ring(name: string): string {
  const created = cli(['groups', 'create', '--name', name, '--version', 'windows=2026.1.1.0', '--json']);
  assert.equal(created.status, 0, created.stderr);
  return JSON.parse(created.stdout).id;
}

test('creates, shows, lists, pauses, resumes and aborts a rollout', () => {
  const [first, second] = [ring('cli ring 1'), ring('cli ring 2')];
  const created = cli([
    'rollouts',
    'create',
    '--name',
    'CLI rollout',
    '--version',
    'windows=2026.6.822.0',
    '--stage',
    `${first}=30d`,
    '--stage',
    `${second}=1d`,
    '--json',
  ]);
  assert.equal(created.status, 0, created.stderr);
  const rollout = JSON.parse(created.stdout);
  assert.equal(rollout.state, 'scheduled');
  assert.deepEqual(
    rollout.stages.map((stage: { wait: string }) => stage.wait),
    ['30d', '1d'],
  );

  const shown = cli(['rollouts', 'get', rollout.id]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /^state\s+scheduled$/m);
  assert.match(shown.stdout, new RegExp(`^1\\s+${first}\\s+30d\\s+pending`, 'm'));

  const listed = cli(['rollouts', 'list', '--state', 'scheduled']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`^${rollout.id}\\s+CLI rollout\\s+scheduled\\s+0/2`, 'm'));

  for (const [action, state] of [
    ['pause', 'paused'],
    ['resume', 'scheduled'],
    ['abort', 'aborted'],
  ]) {
    const acted = cli(['rollouts', action as string, rollout.id, '--json']);
    assert.equal(acted.status, 0, acted.stderr);
    assert.equal(JSON.parse(acted.stdout).state, state);
  }
  const refused = cli(['rollouts', 'resume', rollout.id]);
  assert.equal(refused.status, 3);
  assert.match(refused.stderr, /409:\n {2}2017: a rollout that is aborted cannot be resumed/);
});

test('names the pointer of each problem the API finds in a create', () => {
  const refused = cli([
    'rollouts',
    'create',
    '--name',
    'bad',
    '--version',
    'windows=2026.6.822.0',
    '--stage',
    '00000000-0000-4000-8000-000000000000=1w',
  ]);
  assert.equal(refused.status, 3);
  assert.match(refused.stderr, /\(\/stages\/0\/wait\)/);
});
