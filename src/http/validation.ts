// Schema validation: one Ajv for bodies (no coercion, every error reported) and one for the query string
// and path (strings coerced to numbers), plus the one mapping from Ajv errors to 2001 violations with a
// JSON Pointer into the body or the name of the query parameter (docs/contract.md §4).
import {
  Ajv,
  type ErrorObject,
  type FuncKeywordDefinition,
  type SchemaValidateFunction,
  type ValidateFunction,
} from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
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
  const ajv = new Ajv({ allErrors: true, verbose: true, coerceTypes: false, useDefaults: false });
  ajv.addKeyword(uniqueBy);
  ajv.addKeyword(errorMessage);
  return ajv;
}

function newParameterAjv(): Ajv {
  return new Ajv({ allErrors: true, verbose: true, coerceTypes: true, useDefaults: true });
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const body = newBodyAjv();
  const parameters = newParameterAjv();
  return ({ schema, httpPart }) =>
    httpPart === 'body'
      ? body.compile(schema as object)
      : finiteNumbersOnly(parameters.compile(schema as object), schema as ObjectSchema);
}

interface ObjectSchema {
  properties?: Record<string, { type?: string }>;
}

/**
 * Ajv coerces "Infinity" or "1e400" in a query string to Infinity and then, seeing no finite number,
 * skips `minimum` and `maximum` (strictNumbers): Infinity would reach the handler (a 500 from the
 * serializer or SQLite). Coerced values must be finite numbers; anything else fails its type.
 */
function finiteNumbersOnly(validate: ValidateFunction, schema: ObjectSchema) {
  const checked = (data: unknown): boolean => {
    const valid = validate(data);
    checked.errors = validate.errors;
    if (!valid || data === null || typeof data !== 'object') return valid;
    const infinite = Object.entries(data).filter(
      ([, value]) => typeof value === 'number' && !Number.isFinite(value),
    );
    if (infinite.length === 0) return true;
    checked.errors = infinite.map(([key, value]) => ({
      keyword: 'type',
      instancePath: `/${key}`,
      schemaPath: `#/properties/${key}/type`,
      params: { type: schema.properties?.[key]?.type ?? 'number' },
      message: 'must be a finite number',
      data: value,
    }));
    return false;
  };
  checked.errors = null as ValidateFunction['errors'];
  return checked;
}

/** Ajv errors → one violation per offending field, in schema order. */
export function toViolations(errors: ErrorObject[], part: string | undefined): Violation[] {
  const seen = new Set<string>();
  const violations: Violation[] = [];
  for (const error of errors) {
    const { path, message } = describe(error);
    if (seen.has(path)) continue; // one violation per field: the first rule it breaks
    seen.add(path);
    violations.push(part === 'body' ? { pointer: path, message } : { parameter: path.slice(1), message });
  }
  return violations;
}

function describe(error: ErrorObject): { path: string; message: string } {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  const field = at === '' ? 'the request body' : at.slice(at.lastIndexOf('/') + 1);
  switch (error.keyword) {
    case 'required':
      return { path: `${at}/${params.missingProperty}`, message: `${params.missingProperty} is required` };
    case 'additionalProperties':
      return {
        path: `${at}/${params.additionalProperty}`,
        message: `${params.additionalProperty} is not a known field`,
      };
    case 'type': {
      const nullable = (error.parentSchema as { nullable?: boolean } | undefined)?.nullable === true;
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
      const custom = (error.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
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
    case 'uniqueItems':
      return {
        path: `${at}/${params.j}`,
        message: `${field} must not repeat an entry (see ${at}/${params.i})`,
      };
    case 'minimum':
    case 'maximum':
      return { path: at, message: `${field} ${error.message}` };
    default:
      return { path: at, message: `${field} ${error.message ?? 'is invalid'}` };
  }
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
