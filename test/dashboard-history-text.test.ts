// The dashboard's change-control text without a browser: a revision's diff (web/src/history-text.ts), the
// revision a deleted ring comes back as, and the audit page's query (web/src/audit-query.ts). The modules
// are the dashboard's own, imported as they are.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistoryEntry } from '../web/src/api.ts';
import {
  auditActor,
  auditInterface,
  auditQuery,
  defaultFilters,
  personParameter,
} from '../web/src/audit-query.ts';
import {
  actorName,
  diffLines,
  interfaceLabel,
  policyLines,
  revisionBeforeDeletion,
  versionLines,
} from '../web/src/history-text.ts';
import type { AuditLog, Group } from '../web/src/wire.ts';

const GROUP: Group = {
  id: '0b0e5c8e-5a4e-4c1b-9d4e-2f6a7c8b9d0e',
  name: 'Canary',
  version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
  policy_ids: ['p1'],
  created_at: '2026-07-01T12:00:00.000000000Z',
  updated_at: '2026-07-01T12:00:00.000000000Z',
};

function entry(revision: number, action: HistoryEntry['action'], group: Group | null): HistoryEntry {
  return {
    revision,
    audit_log_id: `log-${revision}`,
    at: '2026-07-01T12:00:00.000000000Z',
    action,
    actor: { type: 'user', id: 'c1', name: 'alice-token', email: null, ip: null, interface: 'dashboard' },
    deployment_group: group,
    changes: [],
  };
}

describe('a revision as a diff', () => {
  test('versions are matched by environment: added, removed, changed', () => {
    const lines = versionLines(
      [
        { target_environment: 'windows', version: '2026.5.711.0' },
        { target_environment: 'linux', version: '2026.5.711.0' },
      ],
      [
        { target_environment: 'windows', version: '2026.6.822.0' },
        { target_environment: null, version: '2026.4.620.0' },
      ],
    );
    assert.deepEqual(lines, [
      { field: 'versions', kind: 'changed', text: 'Windows: 2026.5.711.0 → 2026.6.822.0' },
      { field: 'versions', kind: 'added', text: 'All other environments: 2026.4.620.0' },
      { field: 'versions', kind: 'removed', text: 'Linux: 2026.5.711.0' },
    ]);
    assert.deepEqual(versionLines(GROUP.version_config, [...GROUP.version_config].reverse()), []);
  });

  test('policies added and removed, counted in the wording', () => {
    assert.deepEqual(policyLines(['a', 'b', 'c'], ['c', 'd']), [
      { field: 'policies', kind: 'added', text: 'Policy added: d' },
      { field: 'policies', kind: 'removed', text: 'Policies removed: a, b' },
    ]);
    assert.deepEqual(policyLines(['a'], ['a']), []);
  });

  test('name before → after; a creation adds and a deletion removes; id and times are left out', () => {
    assert.deepEqual(diffLines([{ field: 'name', before: 'Canary', after: 'Canary (beta)' }]), [
      { field: 'name', kind: 'changed', text: 'Name: “Canary” → “Canary (beta)”' },
    ]);
    const created = diffLines([
      { field: 'id', before: null, after: GROUP.id },
      { field: 'name', before: null, after: 'Canary' },
      { field: 'version_config', before: null, after: GROUP.version_config },
      { field: 'policy_ids', before: null, after: ['p1', 'p2'] },
      { field: 'created_at', before: null, after: GROUP.created_at },
    ]);
    assert.deepEqual(
      created.map((line) => `${line.kind} ${line.text}`),
      ['added Name: “Canary”', 'added Windows: 2026.6.822.0', 'added Policies added: p1, p2'],
    );
    const deleted = diffLines([
      { field: 'name', before: 'Canary', after: null },
      { field: 'policy_ids', before: null, after: null },
    ]);
    assert.deepEqual(deleted, [{ field: 'name', kind: 'removed', text: 'Name: “Canary”' }]);
  });

  test('an unknown field still shows, as JSON', () => {
    assert.deepEqual(diffLines([{ field: 'colour', before: null, after: 'red' }]), [
      { field: 'colour', kind: 'changed', text: 'colour: none → "red"' },
    ]);
  });

  test('who and through what', () => {
    assert.equal(actorName({ type: 'user', name: 'alice-token', email: null }), 'alice-token');
    assert.equal(actorName({ type: 'user', name: null, email: 'ops@example.com' }), 'ops@example.com');
    assert.equal(actorName({ type: 'user', name: 'k', email: 'ops@example.com' }), 'k (ops@example.com)');
    assert.equal(actorName({ type: 'system', name: null, email: null }), 'Ringmaster');
    assert.equal(interfaceLabel('dashboard'), 'the dashboard');
    assert.equal(interfaceLabel('CLI'), 'the command line');
  });
});

describe('restoring a deleted ring', () => {
  test('comes back as the newest revision before its latest deletion', () => {
    const renamed = { ...GROUP, name: 'Canary 2' };
    const history = [entry(4, 'delete', null), entry(3, 'update', renamed), entry(1, 'create', GROUP)];
    assert.equal(revisionBeforeDeletion(history)?.revision, 3);
    const twice = [entry(6, 'delete', null), entry(5, 'revert', renamed), entry(4, 'delete', null)];
    assert.equal(revisionBeforeDeletion(twice)?.revision, 5);
  });

  test('is nothing for a ring that is not deleted (any more)', () => {
    assert.equal(revisionBeforeDeletion([entry(5, 'revert', GROUP), entry(4, 'delete', null)]), null);
    assert.equal(revisionBeforeDeletion([]), null);
  });
});

describe('the audit page query (Cloudflare version 2)', () => {
  const filters = { ring: '', person: '', action: '', from: '2026-07-01', to: '2026-07-31' };

  test('always sends since and before (required), before being the day after "to"', () => {
    assert.deepEqual(auditQuery(filters, null), [
      ['since', '2026-07-01'],
      ['before', '2026-08-01'],
      ['limit', '25'],
    ]);
  });

  test('adds each filter given, and the cursor of "load more"', () => {
    const query = auditQuery(
      { ...filters, ring: ` ${GROUP.id} `, person: 'Ops@Example.com', action: 'delete' },
      'abc',
      10,
    );
    assert.deepEqual(query.slice(2), [
      ['limit', '10'],
      ['resource_id', GROUP.id],
      ['actor_email', 'Ops@Example.com'],
      ['action_type', 'delete'],
      ['cursor', 'abc'],
    ]);
  });

  test('a person is an email, a credential ID, or a token name', () => {
    assert.equal(personParameter('a@b.example'), 'actor_email');
    assert.equal(personParameter('0123456789abcdef0123456789abcdef'), 'actor_id');
    assert.equal(personParameter('ci-deploys'), 'actor_token_name');
  });

  test('opens on the last 30 days, today included', () => {
    const now = Date.parse('2026-07-31T18:00:00Z');
    assert.deepEqual(defaultFilters(now), {
      ring: '',
      person: '',
      action: '',
      from: '2026-07-02',
      to: '2026-07-31',
    });
  });

  test('names the actor and the interface', () => {
    const base: AuditLog = {
      id: 'x',
      action: {
        description: 'Update deployment group',
        result: 'success',
        time: GROUP.updated_at,
        type: 'update',
      },
      actor: { type: 'user', id: 'c1', context: 'dash' },
      raw: {},
      resource: { id: GROUP.id, product: 'devices', scope: 'accounts', type: 'deployment_group' },
    };
    assert.equal(auditActor(base), 'credential c1');
    assert.equal(auditInterface(base), 'the dashboard');
    const byToken = {
      ...base,
      actor: { type: 'user' as const, context: 'api_token' as const, token_name: 'ci' },
    };
    assert.equal(auditActor(byToken), 'ci');
    assert.equal(auditInterface(byToken), 'the API');
    assert.equal(auditInterface({ ...base, actor: { type: 'system' } }), 'a rollout');
  });
});
