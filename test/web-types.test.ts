// The dashboard's wire types and limits (web/src/wire.ts) are generated from the committed OpenAPI document,
// which test/openapi.test.ts keeps equal to the route schemas: together, a schema change that is not
// carried through to the dashboard fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  MAX_NAME_LENGTH,
  MAX_POLICY_IDS,
  MAX_VERSION_CONFIG_ENTRIES,
} from '../src/deployment-groups/model.ts';
import { generateWebTypes } from '../src/web/wire-types.ts';
import * as wire from '../web/src/wire.ts';

const document = () => JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8'));
const COMMITTED = new URL('../web/src/wire.ts', import.meta.url);

test('the committed web/src/wire.ts matches openapi/openapi.json (run `npm run web-types` after `npm run openapi`)', () => {
  assert.equal(readFileSync(COMMITTED, 'utf8'), generateWebTypes(document()));
});

test('the limits are the API’s own', () => {
  assert.equal(wire.MAX_VERSION_CONFIG_ENTRIES, MAX_VERSION_CONFIG_ENTRIES);
  assert.equal(wire.MAX_POLICY_IDS, MAX_POLICY_IDS);
  assert.equal(wire.MAX_NAME_LENGTH, MAX_NAME_LENGTH);
  assert.equal(wire.MAX_PER_PAGE, 100);
  assert.equal(wire.API_BASE, '/client/v4');
  assert.equal(wire.EXTENSIONS_BASE, '/ringmaster/v1');
  assert.ok(new RegExp(wire.ACCOUNT_ID_PATTERN).test('0123456789abcdef0123456789abcdef'));
  assert.ok(!new RegExp(wire.ACCOUNT_ID_PATTERN).test('0123456789ABCDEF0123456789ABCDEF'));
});

test('a changed schema changes the generated file', () => {
  const changed = document();
  const create = changed.paths['/accounts/{account_id}/devices/deployment-groups'].post;
  create.requestBody.content['application/json'].schema.properties.version_config.maxItems = 20;
  const group = changed.paths['/accounts/{account_id}/devices/deployment-groups/{group_id}'].get;
  group.responses['200'].content['application/json'].schema.properties.result.properties.labels = {
    type: 'array',
    items: { type: ['string', 'null'] },
    description: 'A new field.',
  };
  const generated = generateWebTypes(changed);
  assert.match(generated, /export const MAX_VERSION_CONFIG_ENTRIES = 20;/);
  assert.match(generated, /\/\*\* A new field\. \*\/\n {2}labels\?: \(string \| null\)\[\];/);
});

test('shapes: nullable unions, enums but configured ones, and no ignored read-only body fields', () => {
  const generated = generateWebTypes(document());
  assert.match(generated, /export interface Group \{[^}]*\n {2}policy_ids: string\[\] \| null;/);
  assert.match(generated, /export interface VerifiedToken \{[^}]*\n {2}status: 'active';/);
  // TARGET_ENVIRONMENTS decides the environments, so the committed document's defaults are not a type.
  assert.match(generated, /export interface VersionConfig \{[^}]*\n {2}target_environment: string \| null;/);
  assert.match(generated, /export interface GroupCreate \{[^}]*\n {2}version_config: VersionConfig\[\];/);
  assert.doesNotMatch(
    /export interface GroupCreate \{[^}]*\}/.exec(generated)?.[0] ?? '',
    /\bid\b|created_at/,
  );
  assert.match(generated, /\n {4}deployment_group_id\?: string;/);
});

test('a document without what a type is made from is refused, naming the type', () => {
  const broken = document();
  delete broken.paths['/accounts/{account_id}/access'];
  assert.throws(() => generateWebTypes(broken), /Access/);
});
