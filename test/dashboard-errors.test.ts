// The ring dialog's rules that need no browser: which field shows each of the API's errors
// (web/src/error-placement.ts), the conflict banner's wording, and the body made from what was typed
// (web/src/form-values.ts). The modules are the dashboard's own, imported as they are.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Failure } from '../web/src/api.ts';
import { type Conflict, conflictSummary, placeErrors } from '../web/src/error-placement.ts';
import {
  blankValues,
  createBody,
  type FormValues,
  isEdited,
  parsePolicies,
  updateBody,
  valuesOf,
} from '../web/src/form-values.ts';
import type { ApiErrorItem, Group } from '../web/src/wire.ts';

const HOLDER = '0b0e5c8e-5a4e-4c1b-9d4e-2f6a7c8b9d0e';
const OTHER_HOLDER = '1c1f6d9f-6b5f-4d2c-8e5f-3a7b8d9c0e1f';

function failure(status: number, errors: ApiErrorItem[]): Failure {
  return { ok: false, status, errors, ray: 'a1b2c3d4e5f60718-LCL', retryAfter: null };
}
const at = (pointer: string, message: string, code = 2001): ApiErrorItem => ({
  code,
  message,
  source: { pointer },
});
const conflict = (index: number, groupId: string | undefined): ApiErrorItem => ({
  code: 2004,
  // The English names a different group on purpose: only meta may decide.
  message: `Policy ID p${index} already belongs to deployment group ${OTHER_HOLDER}`,
  source: { pointer: `/policy_ids/${index}` },
  ...(groupId ? { meta: { deployment_group_id: groupId } } : {}),
});

const values = (overrides: Partial<FormValues> = {}): FormValues => ({
  name: 'Canary',
  versions: [
    { environment: 'windows', version: '2026.6.822.0' },
    { environment: '', version: '' },
    { environment: '', version: '2026.5.711.0' },
  ],
  policies: 'p1\n\np2, p3',
  ...overrides,
});

describe('error placement', () => {
  // Rows 0 and 2 on screen were sent as entries 0 and 1 (row 1 was blank); p1 is line 1, p2 and p3 line 3.
  const sent = createBody(values());

  test('a version error goes beside the input of the row on screen that produced the entry', () => {
    const placement = placeErrors(
      failure(400, [
        at('/version_config/1/version', 'version must look like 2026.6.822.0 (YYYY.M.BUILD.TRACK)'),
        at('/version_config/1/target_environment', 'target_environment is the same as in entry 0'),
      ]),
      sent,
    );
    assert.deepEqual([...placement.rows.keys()], [2]);
    assert.deepEqual(placement.rows.get(2), {
      environment: ['target_environment is the same as in version 1'],
      version: ['version must look like 2026.6.822.0 (YYYY.M.BUILD.TRACK)'],
    });
    assert.deepEqual(placement.summary, ['Not saved: 2 problems to fix, marked below.']);
  });

  test('the name, the version list as a whole, and policy lines each get their own', () => {
    const placement = placeErrors(
      failure(400, [
        at('/name', 'name must contain a non-space character'),
        at('/version_config', 'version_config must have at least 1 entry'),
        at('/policy_ids/2', 'policy_ids[2] repeats policy_ids[0]'),
      ]),
      sent,
    );
    assert.deepEqual(placement.name, ['name must contain a non-space character']);
    assert.deepEqual(placement.versions, ['version_config must have at least 1 entry']);
    assert.deepEqual(placement.policies, ['Line 3 (p3): repeats line 1']);
    assert.equal(placement.rows.size, 0);
    assert.deepEqual(placement.summary, ['Not saved: 3 problems to fix, marked below.']);
  });

  test('an error no field owns is the banner, and so is a refusal without a pointer', () => {
    const unknownField = placeErrors(failure(400, [at('/extra', 'extra is not a known field')]), sent);
    assert.deepEqual(unknownField.summary, ['extra is not a known field']);
    const forbidden = placeErrors(failure(403, [{ code: 10000, message: 'Authentication error' }]), sent);
    assert.deepEqual(forbidden.summary, [
      'This token may not do that in this account: changes need a token with Zero Trust Write.',
    ]);
    const unavailable = placeErrors(failure(503, [{ code: 2009, message: 'Storage unavailable' }]), sent);
    assert.deepEqual(unavailable.summary, ['Storage unavailable (ray a1b2c3d4e5f60718-LCL)']);
  });

  test('the ring holding a conflicting policy comes from meta.deployment_group_id, not the message', () => {
    const placement = placeErrors(failure(409, [conflict(0, HOLDER), conflict(2, undefined)]), sent);
    assert.deepEqual(
      placement.conflicts.map(({ policy, groupId }) => ({ policy, groupId })),
      [
        { policy: { id: 'p1', line: 1 }, groupId: HOLDER },
        { policy: { id: 'p3', line: 3 }, groupId: null },
      ],
    );
    assert.deepEqual(placement.policies, []);
  });
});

describe('the conflict banner', () => {
  const held = (...holders: (string | null)[]): Conflict[] =>
    holders.map((groupId, i) => ({ policy: { id: `p${i}`, line: i + 1 }, groupId, message: '' }));

  test('one policy: "remove it"', () => {
    assert.equal(
      conflictSummary(held(HOLDER)),
      'Not saved: a policy already belongs to another ring. Remove it from this ring, or from the ring that holds it.',
    );
  });

  test('two policies in one ring: "remove them … the ring that holds them"', () => {
    assert.equal(
      conflictSummary(held(HOLDER, HOLDER)),
      'Not saved: 2 policies already belong to another ring. Remove them from this ring, or from the ring that holds them.',
    );
  });

  test('policies in several rings: "other rings … the rings that hold them"', () => {
    assert.equal(
      conflictSummary(held(HOLDER, OTHER_HOLDER, HOLDER)),
      'Not saved: 3 policies already belong to other rings. Remove them from this ring, or from the rings that hold them.',
    );
  });

  test('is what placeErrors puts in the banner', () => {
    const placement = placeErrors(failure(409, [conflict(0, HOLDER), conflict(1, HOLDER)]), {
      rows: [],
      policies: parsePolicies('p0\np1'),
    });
    assert.deepEqual(placement.summary, [
      'Not saved: 2 policies already belong to another ring. Remove them from this ring, or from the ring that holds them.',
    ]);
  });
});

describe('form values', () => {
  const group: Group = {
    id: HOLDER,
    name: 'Canary',
    version_config: [{ target_environment: 'windows', version: '2026.6.822.0' }],
    policy_ids: null,
    created_at: '2026-07-01T12:00:00.123456789Z',
    updated_at: '2026-07-01T12:00:00.123456789Z',
  };

  test('a create sends trimmed entries, null for an empty environment, and no blank rows', () => {
    assert.deepEqual(createBody(values()), {
      input: {
        name: 'Canary',
        version_config: [
          { target_environment: 'windows', version: '2026.6.822.0' },
          { target_environment: null, version: '2026.5.711.0' },
        ],
        policy_ids: ['p1', 'p2', 'p3'],
      },
      rows: [0, 2],
      policies: [
        { id: 'p1', line: 1 },
        { id: 'p2', line: 3 },
        { id: 'p3', line: 3 },
      ],
    });
  });

  test('an update sends only what changed; clearing the policies sends null', () => {
    assert.deepEqual(updateBody(valuesOf(group), group).input, {});
    assert.deepEqual(updateBody({ ...valuesOf(group), name: 'Canary 2' }, group).input, { name: 'Canary 2' });
    const withPolicies = { ...group, policy_ids: ['p1'] };
    assert.deepEqual(updateBody({ ...valuesOf(withPolicies), policies: '' }, withPolicies).input, {
      policy_ids: null,
    });
  });

  test('edited means a different body: a blank row or a trailing newline is no edit', () => {
    const start = valuesOf(group);
    assert.equal(isEdited(start, start), false);
    assert.equal(
      isEdited({ ...start, versions: [...start.versions, { environment: '', version: ' ' }] }, start),
      false,
    );
    assert.equal(isEdited({ ...start, policies: '\n' }, start), false);
    assert.equal(isEdited({ ...start, name: 'Canary!' }, start), true);
    assert.equal(isEdited(blankValues(), blankValues()), false);
    assert.equal(isEdited({ ...blankValues(), policies: 'p1' }, blankValues()), true);
  });
});
