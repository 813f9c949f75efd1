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

type Operation = { path: string; method: string };
const validators = new Map<string, ValidateFunction>();
/** How many responses were checked, so a test can prove the check ran. */
export const checked = { count: 0 };

function validatorFor({ path, method }: Operation): ValidateFunction {
  const key = `${method} ${path}`;
  let validate = validators.get(key);
  if (!validate) {
    const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8'));
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
