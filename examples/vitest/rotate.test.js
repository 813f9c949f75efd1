// Tests of rotate.js against Ringmaster, with Vitest: `npm test`. One server for the file, reset before
// each test, so that every test starts from the same fixtures.
import Cloudflare from 'cloudflare';
import { startRingmaster } from 'ringmaster/testing';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { rotateRingVersions } from './rotate.js';

const FIXTURES = new URL('./fixtures.json', import.meta.url).pathname;
let rm;
let client;

beforeAll(async () => {
  rm = await startRingmaster();
  client = new Cloudflare({ baseURL: rm.baseURL, apiToken: rm.apiToken, maxRetries: 2 });
});
beforeEach(async () => {
  await rm.reset();
  await rm.seed(FIXTURES);
});
afterAll(() => rm.stop());

test('moves every ring to the new version', async () => {
  const updated = await rotateRingVersions(client, rm.accountId, '2026.6.822.0');
  expect(updated.map((group) => group.name)).toEqual(['Ring 0 = Engineering', 'Ring 1 = Everyone']);
  expect(updated.flatMap((group) => group.version_config.map((entry) => entry.version))).toEqual([
    '2026.6.822.0',
    '2026.6.822.0',
    '2026.6.822.0',
  ]);
});

test('the journal shows what was sent: the list, a PATCH per ring, never the token', async () => {
  await rm.clearRequests();
  await rotateRingVersions(client, rm.accountId, '2026.6.822.0');
  const journal = await rm.requests();
  // The SDK pages on until a page comes back empty: the second GET.
  expect(journal.map((entry) => `${entry.method} ${entry.status}`)).toEqual([
    'GET 200',
    'PATCH 200',
    'PATCH 200',
    'GET 200',
  ]);
  expect(JSON.stringify(journal)).not.toContain(rm.apiToken);
});

test('gets through two 429s in a row: the SDK retries and succeeds', async () => {
  const rule = await rm.fault({ match: { method: 'GET' }, respond: { status: 429, retry_after: 0 }, times: 2 });
  const updated = await rotateRingVersions(client, rm.accountId, '2026.6.822.0');
  expect(updated).toHaveLength(2);
  expect((await rm.faults()).find((f) => f.id === rule.id)).toMatchObject({ hits: 2, remaining: 0 });
});

test('gets through a dropped connection', async () => {
  await rm.fault({ match: { method: 'PATCH' }, respond: { drop: true }, times: 1 });
  const updated = await rotateRingVersions(client, rm.accountId, '2026.6.822.0');
  expect(updated).toHaveLength(2);
});
