// Tests of rotate.js against Ringmaster, with node:test: `npm test`. One server for the file, reset before
// each test, so that every test starts from the same fixtures.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import Cloudflare from 'cloudflare';
import { startRingmaster } from 'ringmaster/testing';
import { rotateRingVersions } from './rotate.js';

const FIXTURES = new URL('./fixtures.json', import.meta.url).pathname;
let rm;
let client;

before(async () => {
  rm = await startRingmaster();
  client = new Cloudflare({ baseURL: rm.baseURL, apiToken: rm.apiToken, maxRetries: 2 });
});
beforeEach(async () => {
  await rm.reset();
  await rm.seed(FIXTURES);
});
after(() => rm.stop());

const versionsOf = async () => {
  const versions = [];
  for await (const group of client.zeroTrust.devices.deploymentGroups.list({ account_id: rm.accountId })) {
    versions.push(...group.version_config.map((entry) => entry.version));
  }
  return versions;
};

test('moves every ring to the new version', async () => {
  const updated = await rotateRingVersions(client, rm.accountId, '2026.6.822.0');
  assert.equal(updated.length, 2);
  assert.deepEqual(await versionsOf(), ['2026.6.822.0', '2026.6.822.0', '2026.6.822.0']);
});

test('sends one PATCH per ring that changes, and nothing else', async () => {
  await rm.clearRequests();
  await rotateRingVersions(client, rm.accountId, '2026.6.822.0', { environment: 'macos' });
  const sent = (await rm.requests()).map((entry) => `${entry.method} ${entry.status}`);
  // Only Ring 0 has a macOS entry; Ring 1 is left alone. The SDK stops paging at an empty page.
  assert.deepEqual(sent, ['GET 200', 'PATCH 200', 'GET 200']);
  const [, patch] = await rm.requests();
  assert.deepEqual(patch.body.version_config[1], { target_environment: 'macos', version: '2026.6.822.0' });
});

test('gets through two 429s in a row: the SDK waits as Retry-After says and retries', async () => {
  await rm.fault({ match: { method: 'PATCH' }, respond: { status: 429, retry_after: 0 }, times: 2 });
  const updated = await rotateRingVersions(client, rm.accountId, '2026.6.822.0');
  assert.equal(updated.length, 2);
  const patches = (await rm.requests()).filter((entry) => entry.method === 'PATCH');
  assert.deepEqual(
    patches.map((entry) => entry.status),
    [429, 429, 200, 200],
  );
});

test('fails, changing nothing more, when the API keeps answering 500', async () => {
  await rm.fault({ match: { method: 'PATCH' }, respond: { status: 500, retry_after: 0 } });
  await assert.rejects(rotateRingVersions(client, rm.accountId, '2026.6.822.0'), Cloudflare.InternalServerError);
  assert.deepEqual(await versionsOf(), ['2026.5.700.0', '2026.5.700.0', '2026.5.700.0']);
});
