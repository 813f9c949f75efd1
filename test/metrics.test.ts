// /metrics in the Prometheus text format: requests by route pattern and status, latency histograms for
// requests and store operations, process metrics, and the build's version (also in /healthz).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ACCOUNT, createTestApp, groupsUrl, groupUrl, validGroup } from './support/app.ts';

test('counts requests by route pattern and status and times requests and store operations', async () => {
  const t = await createTestApp();
  try {
    const created = (await t.request({ method: 'POST', url: groupsUrl(), body: validGroup() })).json().result;
    await t.request({ url: groupUrl(created.id) });
    await t.request({ url: groupUrl('7b0f1e2c-9d1a-4b8e-8f3a-0c1d2e3f4a5b') });
    await t.request({ url: '/nowhere' });

    const response = await t.request({ url: '/metrics', token: null });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/plain/);
    const text = response.body;
    const item = '/client/v4/accounts/:account_id/devices/deployment-groups/:group_id';
    assert.match(
      text,
      new RegExp(`ringmaster_http_requests_total\\{method="GET",route="${item}",status="200"\\} 1`),
    );
    assert.match(
      text,
      new RegExp(`ringmaster_http_requests_total\\{method="GET",route="${item}",status="404"\\} 1`),
    );
    assert.match(text, /ringmaster_http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
    assert.match(text, /ringmaster_http_request_duration_seconds_bucket\{le="0.005",method="POST"/);
    assert.match(
      text,
      /ringmaster_store_duration_seconds_count\{operation="createDeploymentGroup",outcome="ok"\} 1/,
    );
    assert.match(
      text,
      /ringmaster_store_duration_seconds_count\{operation="findCredentialBySecretHash",outcome="ok"\}/,
    );
    assert.match(text, /process_resident_memory_bytes \d+/);
    assert.ok(!text.includes(ACCOUNT) && !text.includes(created.id), 'no IDs in labels');
  } finally {
    await t.close();
  }
});

test('the version from package.json is in /healthz and in ringmaster_build_info', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.match(version, /^\d+\.\d+\.\d+/);
  const t = await createTestApp();
  try {
    const health = await t.request({ url: '/healthz', token: null });
    assert.deepEqual(health.json(), { status: 'ok', version });
    const metrics = (await t.request({ url: '/metrics', token: null })).body;
    assert.match(metrics, /# TYPE ringmaster_build_info gauge/);
    assert.ok(
      metrics.includes(
        `ringmaster_build_info{version="${version}",node_version="${process.versions.node}"} 1`,
      ),
      metrics
        .split('\n')
        .filter((line) => line.includes('build_info'))
        .join('\n'),
    );
  } finally {
    await t.close();
  }
});
