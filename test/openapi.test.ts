// The OpenAPI document: generated from the route schemas, served, committed without drift, and compared
// operation by operation with Cloudflare's published subset. Every difference found must be one of the
// intended differences listed below with its reason — and every listed one must still exist.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { generateOpenApi } from '../src/openapi/generate.ts';
import { registerOpenApi } from '../src/openapi/routes.ts';
import { createTestApp } from './support/app.ts';
import { AUDIT_LOGS_SPEC_PATH, SPEC_PATH } from './support/cloudflare-spec.ts';

type Json = Record<string, any>;

const COMMITTED = new URL('../openapi/openapi.json', import.meta.url);

/** Intended differences from Cloudflare's spec, each with the reason (docs/contract.md §4 marks these [ours]). */
const INTENDED: Record<string, string> = {
  'create-deployment-group body.name.pattern: cloudflare=undefined ours="^(?=[\\\\s\\\\S]*\\\\S)(?:[^\\\\p{Cc}\\\\p{Cs}\\\\p{Cf}\\\\p{Zl}\\\\p{Zp}]|(?<=\\\\p{Extended_Pictographic}[\\\\uFE0F\\\\p{Emoji_Modifier}]?)\\\\u200D(?=\\\\p{Extended_Pictographic}))*$"':
    'names must contain a non-space character and no control characters, lone surrogates, line separators or invisible format characters (U+200D only inside an emoji) (§4 [ours])',
  'update-deployment-group body.name.pattern: cloudflare=undefined ours="^(?=[\\\\s\\\\S]*\\\\S)(?:[^\\\\p{Cc}\\\\p{Cs}\\\\p{Cf}\\\\p{Zl}\\\\p{Zp}]|(?<=\\\\p{Extended_Pictographic}[\\\\uFE0F\\\\p{Emoji_Modifier}]?)\\\\u200D(?=\\\\p{Extended_Pictographic}))*$"':
    'as on create',
  'create-deployment-group body.version_config.maxItems: cloudflare=undefined ours=16':
    'at most 16 entries (§4 [ours]): one per environment is the most that makes sense',
  'update-deployment-group body.version_config.maxItems: cloudflare=undefined ours=16': 'as on create',
  'update-deployment-group body.version_config.minItems: cloudflare=undefined ours=1':
    'an update may not empty version_config: a group without versions pins nothing (§4 [ours])',
  'create-deployment-group body.version_config.items.target_environment.enum: cloudflare=undefined ours=["windows","macos",null]':
    'only configured environments (TARGET_ENVIRONMENTS) or null (§4 [ours]); a typo must not create a dead entry',
  'update-deployment-group body.version_config.items.target_environment.enum: cloudflare=undefined ours=["windows","macos",null]':
    'as on create',
  'create-deployment-group body.version_config.items.version.pattern: cloudflare=undefined ours="^\\\\d{4}\\\\.(?:[1-9]|1[0-2])\\\\.\\\\d+\\\\.\\\\d+$"':
    'WARP versions are YYYY.M.BUILD.TRACK (§4 [ours], from Cloudflare’s release notes)',
  'update-deployment-group body.version_config.items.version.pattern: cloudflare=undefined ours="^\\\\d{4}\\\\.(?:[1-9]|1[0-2])\\\\.\\\\d+\\\\.\\\\d+$"':
    'as on create',
  'create-deployment-group body.policy_ids.type: cloudflare="array" ours=["array","null"]':
    'null is accepted as "not set" (Terraform sends null for an absent attribute)',
  'update-deployment-group body.policy_ids.type: cloudflare="array" ours=["array","null"]':
    'null clears the list (§4: Terraform sends null when the attribute is removed)',
  'create-deployment-group body.policy_ids.maxItems: cloudflare=undefined ours=1000':
    'at most 1000 policy IDs per group (§4 [ours]): bounds request size and ownership work',
  'update-deployment-group body.policy_ids.maxItems: cloudflare=undefined ours=1000': 'as on create',
  'create-deployment-group body.policy_ids.uniqueItems: cloudflare=undefined ours=true':
    'a policy ID listed twice is a client mistake (§4 [ours])',
  'update-deployment-group body.policy_ids.uniqueItems: cloudflare=undefined ours=true': 'as on create',
  'create-deployment-group body.policy_ids.items.minLength: cloudflare=undefined ours=1':
    'policy IDs are 1–36 printable characters (§4: device profile IDs are UUIDs)',
  'create-deployment-group body.policy_ids.items.maxLength: cloudflare=undefined ours=36': 'as above',
  'create-deployment-group body.policy_ids.items.pattern: cloudflare=undefined ours="^[!-~]+$"': 'as above',
  'update-deployment-group body.policy_ids.items.minLength: cloudflare=undefined ours=1': 'as above',
  'update-deployment-group body.policy_ids.items.maxLength: cloudflare=undefined ours=36': 'as above',
  'update-deployment-group body.policy_ids.items.pattern: cloudflare=undefined ours="^[!-~]+$"': 'as above',
  'create-deployment-group body.additionalProperties: cloudflare=undefined ours=false':
    'unknown fields are rejected so that a typo like policy_id is not silently ignored (§4 [ours])',
  'update-deployment-group body.additionalProperties: cloudflare=undefined ours=false': 'as on create',
  'create-deployment-group body.version_config.items.additionalProperties: cloudflare=undefined ours=false':
    'as above, inside version_config entries',
  'update-deployment-group body.version_config.items.additionalProperties: cloudflare=undefined ours=false':
    'as above',
  'list-deployment-groups parameter page.maximum: cloudflare=undefined ours=9007199254740991':
    'the largest page a JSON number carries exactly, so result_info echoes it as sent (§4 [ours])',
  // Audit logs (docs/contract.md §8.2).
  'audit-logs-get-account-audit-logs parameter per_page.type: cloudflare=number ours=integer':
    'a number of entries is whole: per_page=2.5 is refused rather than rounded (§8.2 [ours])',
  'audit-logs-get-account-audit-logs parameter page.type: cloudflare=number ours=integer': 'as per_page',
  'audit-logs-get-account-audit-logs parameter page.maximum: cloudflare=undefined ours=9007199254740991':
    'as on the deployment group list: the largest page a JSON number carries exactly',
  'audit-logs-v2-get-account-audit-logs parameter limit.type: cloudflare=number ours=integer': 'as per_page',
  'audit-logs-v2-get-account-audit-logs parameter since.type: cloudflare=string ours=undefined':
    'a date or an RFC 3339 date-time (oneOf), as the parameter’s own description, the SDK and version 1 say; the spec’s schema says only format: date',
  'audit-logs-v2-get-account-audit-logs parameter before.type: cloudflare=string ours=undefined': 'as since',
};

test('the committed openapi/openapi.json matches the code (run `npm run openapi` after changing a schema)', async () => {
  assert.equal(readFileSync(COMMITTED, 'utf8'), await generateOpenApi());
});

test('the document is served without credentials at /client/v4/openapi.json as OpenAPI 3.1', async () => {
  const t = await createTestApp();
  try {
    const response = await t.request({ url: '/client/v4/openapi.json', token: null });
    assert.equal(response.statusCode, 200);
    const document = response.json();
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(Object.keys(document.paths).sort(), [
      '/accounts/{account_id}/access',
      '/accounts/{account_id}/audit_logs',
      '/accounts/{account_id}/deployment-groups/preview',
      '/accounts/{account_id}/deployment-groups/{group_id}/history',
      '/accounts/{account_id}/deployment-groups/{group_id}/revert',
      '/accounts/{account_id}/devices/deployment-groups',
      '/accounts/{account_id}/devices/deployment-groups/{group_id}',
      '/accounts/{account_id}/logs/audit',
      '/accounts/{account_id}/rollouts',
      '/accounts/{account_id}/rollouts/{rollout_id}',
      '/accounts/{account_id}/rollouts/{rollout_id}/abort',
      '/accounts/{account_id}/rollouts/{rollout_id}/pause',
      '/accounts/{account_id}/rollouts/{rollout_id}/resume',
      '/accounts/{account_id}/rollouts/{rollout_id}/rollback',
      '/accounts/{account_id}/version-targets',
      '/accounts/{account_id}/version-targets/resolve',
      '/user/tokens/verify',
    ]);
    // Ringmaster's own routes are served under /ringmaster/v1 (docs/contract.md §8).
    const history = document.paths['/accounts/{account_id}/deployment-groups/{group_id}/history'];
    assert.ok(JSON.stringify(history.servers).includes('/ringmaster/v1'), JSON.stringify(history.servers));
    assert.ok(!JSON.stringify(document).includes('"nullable"'), '3.1 has no nullable keyword');
  } finally {
    await t.close();
  }
});

/** A throwaway app with the OpenAPI plugin and the given GET routes, each documented as `operationId`. */
async function documentOf(routes: Record<string, string>): Promise<Json> {
  const app: FastifyInstance = Fastify();
  registerOpenApi(app, '0.0.0-test');
  app.register(async (api) => {
    for (const [url, operationId] of Object.entries(routes)) {
      api.get(url, { schema: { operationId, response: { 200: { type: 'object' } } } }, async () => ({}));
    }
  });
  try {
    await app.ready();
    return app.swagger() as Json;
  } finally {
    await app.close();
  }
}

test('a /ringmaster/v1 route is documented at its path relative to a path-level server /ringmaster/v1', async () => {
  const document = await documentOf({
    '/ringmaster/v1/accounts/:account_id/access': 'get-access',
    '/client/v4/accounts/:account_id/things': 'list-things',
    '/healthz': 'health',
  });
  assert.deepEqual(document.servers, [{ url: '/client/v4' }]);
  assert.deepEqual(Object.keys(document.paths).sort(), [
    '/accounts/{account_id}/access',
    '/accounts/{account_id}/things',
  ]);
  const ours = document.paths['/accounts/{account_id}/access'];
  assert.deepEqual(ours.servers, [{ url: '/ringmaster/v1' }]);
  assert.equal(ours.get.operationId, 'get-access');
  assert.equal(ours.get.servers, undefined, 'the server is said once, on the path');
  assert.deepEqual(Object.keys(ours.get.responses).sort(), ['200', '4XX', '5XX']);
  const cloudflare = document.paths['/accounts/{account_id}/things'];
  assert.equal(cloudflare.servers, undefined, 'Cloudflare’s paths keep the document’s server');
  assert.deepEqual(Object.keys(cloudflare.get.responses).sort(), ['200', '4XX', '5XX']);
});

test('one relative path under both /client/v4 and /ringmaster/v1 is refused, not merged', async () => {
  await assert.rejects(
    documentOf({
      '/client/v4/accounts/:account_id/things': 'list-things',
      '/ringmaster/v1/accounts/:account_id/things': 'list-our-things',
    }),
    /\/accounts\/:account_id\/things is served under both \/client\/v4 and \/ringmaster\/v1/,
  );
});

test('every operation matches Cloudflare’s published one, apart from the listed intended differences', () => {
  const ours = JSON.parse(readFileSync(COMMITTED, 'utf8'));
  const differences = [SPEC_PATH, AUDIT_LOGS_SPEC_PATH].flatMap((path) =>
    compare(JSON.parse(readFileSync(path, 'utf8')), ours),
  );
  const unexpected = differences.filter((d) => !(d in INTENDED));
  const stale = Object.keys(INTENDED).filter((d) => !differences.includes(d));
  assert.deepEqual(unexpected, [], 'differences that are not listed as intended');
  assert.deepEqual(stale, [], 'listed differences that no longer exist');
});

const CONSTRAINTS = [
  'type',
  'minLength',
  'maxLength',
  'pattern',
  'enum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minimum',
  'maximum',
  'default',
  'additionalProperties',
];

/** Differences between two OpenAPI documents, as stable one-line strings. */
function compare(theirs: Json, ours: Json): string[] {
  const out: string[] = [];
  const resolveTheirs = (node: Json) => resolve(theirs, node);
  const resolveOurs = (node: Json) => resolve(ours, node);
  for (const [path, operations] of Object.entries(theirs.paths as Json)) {
    for (const [method, theirOp] of Object.entries(operations as Json)) {
      const ourOp = ours.paths[path]?.[method];
      const id = theirOp.operationId;
      if (!ourOp) {
        out.push(`${id}: missing ${method.toUpperCase()} ${path}`);
        continue;
      }
      if (ourOp.operationId !== id) out.push(`${id}: operationId ours=${ourOp.operationId}`);
      for (const param of theirOp.parameters ?? []) {
        const mine = (ourOp.parameters ?? []).find((p: Json) => p.name === param.name && p.in === param.in);
        if (!mine) {
          out.push(`${id} parameter ${param.name}: missing`);
          continue;
        }
        if (Boolean(mine.required) !== Boolean(param.required))
          out.push(`${id} parameter ${param.name}: required`);
        const theirSchema = resolveTheirs(param.schema ?? {});
        for (const key of ['type', 'minimum', 'maximum', 'default']) {
          if (JSON.stringify(theirSchema[key]) !== JSON.stringify(mine.schema?.[key])) {
            out.push(
              `${id} parameter ${param.name}.${key}: cloudflare=${theirSchema[key]} ours=${mine.schema?.[key]}`,
            );
          }
        }
      }
      const theirBody = theirOp.requestBody?.content?.['application/json']?.schema;
      const ourBody = ourOp.requestBody?.content?.['application/json']?.schema;
      if (theirBody) compareSchemas(`${id} body`, resolveTheirs(theirBody), resolveOurs(ourBody ?? {}), out);
      const theirResult = resolveTheirs(theirOp.responses['200'].content['application/json'].schema);
      const ourResult = resolveOurs(ourOp.responses['200'].content['application/json'].schema);
      compareRequired(`${id} response`, theirResult, ourResult, out);
    }
  }
  return out;

  function compareSchemas(at: string, a: Json, b: Json, sink: string[]): void {
    compareRequired(at, a, b, sink);
    for (const key of CONSTRAINTS) {
      const left = key === 'type' && a.nullable ? [a.type, 'null'] : a[key];
      if (JSON.stringify(left) !== JSON.stringify(b[key])) {
        sink.push(`${at}.${key}: cloudflare=${JSON.stringify(left)} ours=${JSON.stringify(b[key])}`);
      }
    }
    for (const [name, sub] of Object.entries((a.properties ?? {}) as Json)) {
      compareSchemas(`${at}.${name}`, resolveTheirs(sub), resolveOurs(b.properties?.[name] ?? {}), sink);
    }
    if (a.items) compareSchemas(`${at}.items`, resolveTheirs(a.items), resolveOurs(b.items ?? {}), sink);
  }

  function compareRequired(at: string, a: Json, b: Json, sink: string[]): void {
    const missing = (a.required ?? []).filter((r: string) => !(b.required ?? []).includes(r));
    if (missing.length > 0) sink.push(`${at}: does not require ${missing.join(', ')}`);
  }
}

/** Follows $ref and flattens allOf, so both documents compare as plain schemas. */
function resolve(document: Json, node: Json): Json {
  if (node?.$ref) return resolve(document, lookup(document, node.$ref));
  if (node?.allOf) {
    const merged: Json = { ...node, allOf: undefined };
    for (const part of node.allOf.map((p: Json) => resolve(document, p))) {
      merged.properties = { ...merged.properties, ...part.properties };
      merged.required = [...(merged.required ?? []), ...(part.required ?? [])];
      for (const [k, v] of Object.entries(part)) if (!(k in merged) || merged[k] === undefined) merged[k] = v;
    }
    delete merged.allOf;
    return merged;
  }
  return node;
}

function lookup(document: Json, ref: string): Json {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: Json, key) => node[key], document);
}
