// Checks success responses against Cloudflare's own published OpenAPI schemas for these operations,
// copied unchanged into test/fixtures/cloudflare/ (its README says where they come from).
import { AssertionError } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export const SPEC_PATH = fileURLToPath(
  new URL('../fixtures/cloudflare/deployment-groups.openapi.json', import.meta.url),
);
export const AUDIT_LOGS_SPEC_PATH = fileURLToPath(
  new URL('../fixtures/cloudflare/audit-logs.openapi.json', import.meta.url),
);

type Operation = { path: string; method: string };

/**
 * Two defects of Cloudflare's audit-log spec that no real answer could satisfy, corrected for the check
 * only (the fixture stays as Cloudflare published it; docs/contract.md §8.2):
 * - version 1's response is `oneOf` [an object of the envelope's properties, `aaa_api-response-common`]:
 *   every success envelope matches both branches, so `oneOf` fails it; `anyOf` is what it means.
 * - version 2's `resource.scope` is typed `object` with the example `"accounts"`, while the
 *   `resource_scope` filter's values (`accounts`, `user`, …) and Cloudflare's Logpush dataset make it a
 *   string; the official SDKs type it `unknown` / `interface{}`. Either is accepted.
 */
function corrected(spec: Record<string, any>): Record<string, any> {
  const schemas = spec.components?.schemas ?? {};
  const v1 = schemas.aaa_audit_logs_response_collection;
  if (v1?.oneOf) schemas.aaa_audit_logs_response_collection = { anyOf: v1.oneOf };
  const scope = schemas['aaa_audit-logs-v2']?.properties?.resource?.properties?.scope;
  if (scope) scope.type = ['object', 'string'];
  return spec;
}
const validators = new Map<string, ValidateFunction>();
/** How many responses were checked, so a test can prove the check ran. */
export const checked = { count: 0 };

function operationSpec(key: string): string {
  return key.includes('audit') ? AUDIT_LOGS_SPEC_PATH : SPEC_PATH;
}

function validatorFor({ path, method }: Operation): ValidateFunction {
  const key = `${method} ${path}`;
  let validate = validators.get(key);
  if (!validate) {
    const spec = corrected(JSON.parse(readFileSync(operationSpec(key), 'utf8')));
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const schema = spec.paths[path][method].responses['200'].content['application/json'].schema;
    validate = ajv.compile({ ...schema, components: spec.components });
    validators.set(key, validate);
  }
  return validate;
}

/** Which operation of Cloudflare's spec a request URL is. */
export function operationFor(method: string, url: string): Operation | undefined {
  const path = url.split('?', 1)[0] as string;
  if (path === '/client/v4/user/tokens/verify') return { path: '/user/tokens/verify', method: 'get' };
  if (/^\/client\/v4\/accounts\/[^/]+\/audit_logs$/.test(path) && method === 'GET') {
    return { path: '/accounts/{account_id}/audit_logs', method: 'get' };
  }
  if (/^\/client\/v4\/accounts\/[^/]+\/logs\/audit$/.test(path) && method === 'GET') {
    return { path: '/accounts/{account_id}/logs/audit', method: 'get' };
  }
  if (/^\/client\/v4\/accounts\/[^/]+\/devices\/deployment-groups$/.test(path)) {
    return { path: '/accounts/{account_id}/devices/deployment-groups', method: method.toLowerCase() };
  }
  if (/^\/client\/v4\/accounts\/[^/]+\/devices\/deployment-groups\/[^/]+$/.test(path)) {
    return {
      path: '/accounts/{account_id}/devices/deployment-groups/{group_id}',
      method: method.toLowerCase(),
    };
  }
  return undefined;
}

/** Throws if a 200 body does not validate against Cloudflare's schema for its operation. */
export function assertCloudflareShape(method: string, url: string, body: unknown): void {
  if (method === 'HEAD') return;
  const operation = operationFor(method, url);
  if (!operation) return;
  const validate = validatorFor(operation);
  if (!validate(body)) {
    throw new AssertionError({
      message: `${method} ${url} does not match Cloudflare's schema: ${JSON.stringify(validate.errors)}\n${JSON.stringify(body)}`,
    });
  }
  checked.count++;
}
