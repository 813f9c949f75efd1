// Schema validation: one Ajv for bodies (no coercion, every violation reported) and one for the query string
// and path (strings coerced to numbers, written in decimal digits only), plus the one mapping from Ajv errors
// to 2001 violations with a JSON Pointer into the body or the name of the query parameter (docs/contract.md §4).
//
// Reporting every violation must not let a request make the answer, the time or the memory grow with its
// size (docs/contract.md §4): every array in a body schema has `maxItems` and every object `maxProperties`
// (checked when the schema compiles), and an array or object over its limit is one violation — its items and
// properties are checked only once its size is within bounds (`gateOversized`).
import {
  Ajv,
  type ErrorObject,
  type FuncKeywordDefinition,
  type SchemaValidateFunction,
  type ValidateFunction,
} from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { parseDateOrDateTime } from '../clock.ts';
import type { Violation } from '../errors.ts';

/**
 * `uniqueBy: "<property>"` on an array of objects: no two entries share that property's value.
 * JSON Schema's uniqueItems compares whole entries, which is not the rule for `target_environment`.
 */
const validateUniqueBy: SchemaValidateFunction = (property: string, entries: unknown[], _parent, context) => {
  const firstIndex = new Map<unknown, number>();
  const errors: ErrorObject[] = [];
  entries.forEach((entry, i) => {
    if (entry === null || typeof entry !== 'object' || !(property in entry)) return;
    const value = (entry as Record<string, unknown>)[property];
    const first = firstIndex.get(value);
    if (first === undefined) firstIndex.set(value, i);
    else {
      errors.push({
        keyword: 'uniqueBy',
        instancePath: `${context?.instancePath ?? ''}/${i}/${property}`,
        schemaPath: '#/uniqueBy',
        params: { first },
        message: `is the same as in entry ${first}`,
      });
    }
  });
  validateUniqueBy.errors = errors;
  return errors.length === 0;
};

const uniqueBy: FuncKeywordDefinition = {
  keyword: 'uniqueBy',
  type: 'array',
  schemaType: 'string',
  errors: true,
  validate: validateUniqueBy,
};

// Metadata keyword: the message to show when `pattern` fails, instead of the raw regular expression.
const errorMessage = { keyword: 'errorMessage', schemaType: 'string' } as const;

function newBodyAjv(): Ajv {
  // `verbose` puts the failing schema on each error: `describe` reads `nullable` and `errorMessage` there.
  // Errors hold references, not copies, and their number is bounded (see above).
  const ajv = new Ajv({ allErrors: true, verbose: true, coerceTypes: false, useDefaults: false });
  ajv.addKeyword(uniqueBy);
  ajv.addKeyword(errorMessage);
  return ajv;
}

function newParameterAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, coerceTypes: true, useDefaults: true });
  ajv.addKeyword(errorMessage);
  // RFC 3339, as Cloudflare's audit-log parameters are written (docs/contract.md §8.2): a real calendar
  // date, not only the shape of one.
  ajv.addFormat('date', (text: string) => !/[Tt]/.test(text) && parseDateOrDateTime(text) !== undefined);
  ajv.addFormat('date-time', (text: string) => /[Tt]/.test(text) && parseDateOrDateTime(text) !== undefined);
  return ajv;
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const body = newBodyAjv();
  const parameters = newParameterAjv();
  return ({ schema, httpPart, url }) => {
    if (httpPart === 'querystring')
      return repeatableParameters(
        decimalIntegersOnly(parameters.compile(schema as object), schema as Schema),
        schema as Schema,
      );
    if (httpPart !== 'body')
      return decimalIntegersOnly(parameters.compile(schema as object), schema as Schema);
    assertBounded(schema as Schema, `${url} body`);
    return body.compile(gateOversized(schema as Schema));
  };
}

/** The parts of a JSON Schema node these functions look at. */
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  maxItems?: number;
  maxProperties?: number;
  nullable?: boolean;
  errorMessage?: string;
  [keyword: string]: unknown;
}

function hasType(schema: Schema, type: string): boolean {
  return schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));
}

/**
 * Refuses, when the route is registered, a body schema with an array lacking `maxItems` or an object lacking
 * `maxProperties`: such a schema would let one request produce errors, time and memory in proportion to its
 * size. Untyped nodes (accepted and ignored, such as the read-only `id`) are never looked into.
 */
function assertBounded(schema: Schema, at: string): void {
  if (hasType(schema, 'array') && schema.maxItems === undefined) {
    throw new Error(`${at}: an array needs maxItems (docs/contract.md §4)`);
  }
  if (hasType(schema, 'object') && schema.maxProperties === undefined) {
    throw new Error(`${at}: an object needs maxProperties (docs/contract.md §4)`);
  }
  for (const [name, property] of Object.entries(schema.properties ?? {}))
    assertBounded(property, `${at}.${name}`);
  if (schema.items) assertBounded(schema.items, `${at}[]`);
}

/** Keywords that look at each item of an array, or at each property of an object. */
const ITEM_KEYWORDS = ['items', 'uniqueItems', 'uniqueBy'];
const PROPERTY_KEYWORDS = ['properties', 'required', 'additionalProperties'];

/**
 * A copy of `schema` in which the keywords that look inside an array or object apply only when its size is
 * within bounds (`if: {maxItems}` / `then: {items, …}`): with Ajv's allErrors, an array of 300,000 items
 * would otherwise be reported item by item after failing `maxItems`. The published schema (OpenAPI) is
 * the original; only what Ajv compiles is rearranged.
 */
function gateOversized(schema: Schema): Schema {
  const node: Schema = { ...schema };
  if (node.items) node.items = gateOversized(node.items);
  if (node.properties) {
    node.properties = Object.fromEntries(
      Object.entries(node.properties).map(([name, property]) => [name, gateOversized(property)]),
    );
  }
  gate(node, 'maxItems', ITEM_KEYWORDS);
  gate(node, 'maxProperties', PROPERTY_KEYWORDS);
  return node;
}

function gate(node: Schema, sizeKeyword: 'maxItems' | 'maxProperties', inner: string[]): void {
  if (node[sizeKeyword] === undefined) return;
  const then: Schema = {};
  for (const keyword of inner) {
    if (!(keyword in node)) continue;
    then[keyword] = node[keyword];
    delete node[keyword];
  }
  if (Object.keys(then).length === 0) return;
  if ('if' in node)
    throw new Error(`gateOversized: a schema with both ${sizeKeyword} and if is not supported`);
  node.if = { [sizeKeyword]: node[sizeKeyword] };
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword; schemas are never awaited.
  node.then = then;
}

/** What a parameter declared as an integer must look like before it is coerced (docs/contract.md §4). */
const DECIMAL_INTEGER = /^-?\d+$/;

/**
 * Ajv coerces any string that JavaScript reads as a number: `0x10`, `1e2`, ` 10`, `Infinity`. Integer
 * parameters must be written in decimal digits, and the number must be finite (Ajv skips `maximum` for
 * Infinity, which would reach the handler). Anything else fails its type, named by the parameter.
 */
function decimalIntegersOnly(validate: ValidateFunction, schema: Schema) {
  const properties = Object.entries(schema.properties ?? {});
  const integers = properties.filter(([, property]) => hasType(property, 'integer')).map(([name]) => name);
  // Repeatable integer parameters (`raw_status_code=200&raw_status_code=404`): each value, by its index.
  const integerLists = properties
    .filter(
      ([, property]) => hasType(property, 'array') && property.items && hasType(property.items, 'integer'),
    )
    .map(([name]) => name);
  const notDecimal = (path: string): ErrorObject => ({
    keyword: 'decimal',
    instancePath: `/${path}`,
    schemaPath: `#/properties/${path.split('/')[0]}/type`,
    params: { type: 'integer' },
    message: 'must be an integer written in decimal digits',
  });
  const badItems = (values: Record<string, unknown>, test: (item: unknown) => boolean) =>
    integerLists.flatMap((name) => {
      const list = values[name];
      return Array.isArray(list) ? list.flatMap((item, i) => (test(item) ? [`${name}/${i}`] : [])) : [];
    });
  const isMalformed = (value: unknown) => typeof value === 'string' && !DECIMAL_INTEGER.test(value);
  const isInfinite = (value: unknown) => value === Infinity || value === -Infinity;
  const checked = (data: unknown): boolean => {
    const values = (data ?? {}) as Record<string, unknown>;
    const malformed = [
      ...integers.filter((name) => isMalformed(values[name])),
      ...badItems(values, isMalformed),
    ];
    const valid = validate(data);
    const infinite = [
      ...integers.filter((name) => isInfinite(values[name])),
      ...badItems(values, isInfinite),
    ];
    const errors = [...malformed, ...infinite].map(notDecimal);
    checked.errors = [...errors, ...(validate.errors ?? [])];
    return valid && errors.length === 0;
  };
  checked.errors = null as ValidateFunction['errors'];
  return checked;
}

/**
 * A parameter sent once arrives as a string, sent twice as an array (Fastify's query parser). A parameter
 * declared as an array takes either: OpenAPI's default (`form`, exploded) and the official SDKs write a list
 * as the name repeated (`actor_email.not=a&actor_email.not=b`), and a list of one is the name once. Any other
 * parameter sent twice stays an array and fails its type, naming the parameter.
 */
function repeatableParameters(validate: (data: unknown) => boolean, schema: Schema) {
  const lists = Object.entries(schema.properties ?? {})
    .filter(([, property]) => hasType(property, 'array'))
    .map(([name]) => name);
  const checked = (data: unknown): boolean => {
    if (data !== null && typeof data === 'object') {
      const values = data as Record<string, unknown>;
      for (const name of lists) {
        if (values[name] !== undefined && !Array.isArray(values[name])) values[name] = [values[name]];
      }
    }
    const valid = validate(data);
    checked.errors = (validate as ValidateFunction).errors;
    return valid;
  };
  checked.errors = null as ValidateFunction['errors'];
  return checked;
}

/** Ajv errors → one violation per offending field, in schema order. */
export function toViolations(errors: ErrorObject[], part: string | undefined): Violation[] {
  const seen = new Set<string>();
  const violations: Violation[] = [];
  for (const error of errors) {
    // `if`/`then` come from gateOversized: the errors of `then` are reported themselves.
    if (error.keyword === 'if' || error.keyword === 'propertyNames') continue;
    const { path, message } = describe(error);
    if (seen.has(path)) continue; // one violation per field: the first rule it breaks
    seen.add(path);
    // A parameter's list item is named by the parameter, and its index by the message (`action_type[1] …`).
    const parameter = unescapePointer(path.slice(1).split('/')[0] as string);
    violations.push(part === 'body' ? { pointer: path, message } : { parameter, message });
  }
  return violations;
}

function describe(error: ErrorObject): { path: string; message: string } {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  const field = fieldName(at);
  // A key that breaks `propertyNames` (e.g. the account IDs of test-mode fixtures) is reported at itself.
  if (error.propertyName !== undefined) {
    const path = `${at}/${escapePointer(echoed(error.propertyName))}`;
    const custom = (error.parentSchema as Schema | undefined)?.errorMessage;
    return { path, message: `${fieldName(path)} is not a valid key: it ${custom ?? error.message}` };
  }
  switch (error.keyword) {
    case 'required': {
      const path = `${at}/${escapePointer(String(params.missingProperty))}`;
      return { path, message: `${fieldName(path)} is required` };
    }
    case 'additionalProperties': {
      const path = `${at}/${escapePointer(echoed(String(params.additionalProperty)))}`;
      return { path, message: `${fieldName(path)} is not a known field` };
    }
    case 'type': {
      const nullable = (error.parentSchema as Schema | undefined)?.nullable === true;
      return {
        path: at,
        message: `${field} must be ${article(String(params.type))}${nullable ? ' or null' : ''}`,
      };
    }
    case 'minLength':
      return { path: at, message: `${field} must not be empty` };
    case 'maxLength':
      return { path: at, message: `${field} must be at most ${params.limit} characters` };
    case 'pattern': {
      const custom = (error.parentSchema as Schema | undefined)?.errorMessage;
      return { path: at, message: `${field} ${custom ?? `must match ${params.pattern}`}` };
    }
    case 'enum':
      return {
        path: at,
        message: `${field} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'minItems':
      return {
        path: at,
        message: `${field} must have at least ${plural(Number(params.limit), 'entry', 'entries')}`,
      };
    case 'maxItems':
      return {
        path: at,
        message: `${field} must have at most ${plural(Number(params.limit), 'entry', 'entries')}`,
      };
    case 'maxProperties':
      return {
        path: at,
        message: `${field} must have at most ${plural(Number(params.limit), 'field', 'fields')}`,
      };
    case 'uniqueItems':
      return {
        path: `${at}/${params.j}`,
        message: `${fieldName(`${at}/${params.j}`)} repeats ${fieldName(`${at}/${params.i}`)}`,
      };
    case 'uniqueBy':
      return { path: at, message: `${field} ${error.message}` };
    case 'format': {
      const custom = (error.parentSchema as Schema | undefined)?.errorMessage;
      return { path: at, message: `${field} ${custom ?? `must be a ${params.format}`}` };
    }
    default:
      return { path: at, message: `${field} ${error.message ?? 'is invalid'}` };
  }
}

/**
 * A JSON Pointer as the field it names, the way a person writes it: the last named segment with the indexes
 * after it — `/policy_ids/3` → `policy_ids[3]`, `/version_config/1` → `version_config[1]`,
 * `/version_config/0/version` → `version` (the pointer beside the message says which entry).
 */
function fieldName(pointer: string): string {
  if (pointer === '') return 'the request body';
  const parts = pointer.slice(1).split('/').map(unescapePointer);
  let named = parts.length - 1;
  while (named > 0 && /^\d+$/.test(parts[named] as string)) named--;
  return (
    parts[named] +
    parts
      .slice(named + 1)
      .map((index) => `[${index}]`)
      .join('')
  );
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** At most this much of a client's own field name is echoed, so the answer stays small whatever is sent. */
const MAX_ECHOED_NAME = 64;

function echoed(name: string): string {
  return name.length > MAX_ECHOED_NAME ? `${name.slice(0, MAX_ECHOED_NAME)}…` : name;
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
