// The dashboard's wire types and limits, generated from the committed OpenAPI document (openapi/openapi.json)
// into web/src/wire.ts by `npm run web-types`; test/web-types.test.ts fails when the committed file drifts.
// So the group's shape and the API's limits are written once, in the route schemas, and the dashboard
// follows them through the document a client would read.
//
// A converter for the JSON Schema the document uses (objects, arrays, unions of types, enums, const) in
// ~150 lines rather than a dependency: openapi-typescript would type whole `paths` trees, not name the few
// shapes the dashboard uses, and would not give us the limits as constants.

// biome-ignore lint/suspicious/noExplicitAny: untyped JSON, walked by fixed paths; a wrong one throws below.
type Json = Record<string, any>;

/** Where in the document a shape or a limit comes from. */
type Locate = (document: Json) => unknown;

/** The named types wire.ts declares, in this order. */
const TYPES: [name: string, from: string, locate: Locate][] = [
  [
    'VersionConfig',
    'get-deployment-group → result.version_config[]',
    (d) => result(d, 'get-deployment-group').properties.version_config.items,
  ],
  ['Group', 'get-deployment-group → result', (d) => result(d, 'get-deployment-group')],
  ['GroupCreate', 'create-deployment-group → body', (d) => body(d, 'create-deployment-group')],
  ['GroupUpdate', 'update-deployment-group → body', (d) => body(d, 'update-deployment-group')],
  ['Deleted', 'delete-deployment-group → result', (d) => result(d, 'delete-deployment-group')],
  [
    'ResultInfo',
    'list-deployment-groups → result_info',
    (d) => envelope(d, 'list-deployment-groups').result_info,
  ],
  [
    'ApiErrorItem',
    'the Failure envelope → errors[]',
    (d) => d.components.schemas.Failure.properties.errors.items,
  ],
  [
    'VerifiedToken',
    'user-api-tokens-verify-token → result',
    (d) => result(d, 'user-api-tokens-verify-token'),
  ],
  ['Access', 'get-account-access → result', (d) => result(d, 'get-account-access')],
  ['HistoryEntry', 'deployment-group-history → result[]', (d) => result(d, 'deployment-group-history')],
  [
    'AuditLog',
    'audit-logs-v2-get-account-audit-logs → result[]',
    (d) => result(d, 'audit-logs-v2-get-account-audit-logs'),
  ],
  [
    'AuditResultInfo',
    'audit-logs-v2-get-account-audit-logs → result_info',
    (d) => envelope(d, 'audit-logs-v2-get-account-audit-logs').result_info,
  ],
  ['Rollout', 'get-rollout → result', (d) => result(d, 'get-rollout')],
  ['RolloutCreate', 'create-rollout → body', (d) => body(d, 'create-rollout')],
  ['VersionTarget', 'resolve-version-targets → result[]', (d) => result(d, 'resolve-version-targets')],
];

/** The constants wire.ts exports. */
const CONSTANTS: [name: string, from: string, locate: Locate][] = [
  ['API_BASE', 'the document’s server', (d) => d.servers[0].url],
  ['EXTENSIONS_BASE', 'the access route’s server', (d) => pathOf(d, 'get-account-access').servers[0].url],
  ['ACCOUNT_ID_PATTERN', 'list-deployment-groups → account_id', (d) => parameter(d, 'account_id').pattern],
  [
    'MAX_NAME_LENGTH',
    'create-deployment-group → body.name.maxLength (code points)',
    (d) => body(d, 'create-deployment-group').properties.name.maxLength,
  ],
  [
    'MAX_VERSION_CONFIG_ENTRIES',
    'create-deployment-group → body.version_config.maxItems',
    (d) => body(d, 'create-deployment-group').properties.version_config.maxItems,
  ],
  [
    'MAX_POLICY_IDS',
    'create-deployment-group → body.policy_ids.maxItems',
    (d) => body(d, 'create-deployment-group').properties.policy_ids.maxItems,
  ],
  ['MAX_PER_PAGE', 'list-deployment-groups → per_page.maximum', (d) => parameter(d, 'per_page').maximum],
];

/**
 * Enums that are the server's configuration, not the API's: the committed document lists the default
 * environments, but a server started with TARGET_ENVIRONMENTS accepts others, so the type stays `string`.
 */
const CONFIGURED_ENUMS = new Set(['target_environment']);

const METHODS = ['get', 'post', 'patch', 'put', 'delete'];

function pathOf(document: Json, operationId: string): Json {
  for (const item of Object.values(document.paths as Record<string, Json>)) {
    if (METHODS.some((method) => item[method]?.operationId === operationId)) return item;
  }
  throw new Error(`openapi.json has no operation ${operationId}`);
}

function operation(document: Json, operationId: string): Json {
  const item = pathOf(document, operationId);
  return item[METHODS.find((method) => item[method]?.operationId === operationId) as string];
}

function envelope(document: Json, operationId: string): Json {
  return operation(document, operationId).responses['200'].content['application/json'].schema.properties;
}

function result(document: Json, operationId: string): Json {
  const schema = envelope(document, operationId).result;
  return schema.type === 'array' ? schema.items : schema;
}

function body(document: Json, operationId: string): Json {
  return operation(document, operationId).requestBody.content['application/json'].schema;
}

function parameter(document: Json, name: string): Json {
  const list: Json[] = operation(document, 'list-deployment-groups').parameters;
  const found = list.find((p) => p.name === name);
  if (!found) throw new Error(`list-deployment-groups has no parameter ${name}`);
  return found.schema;
}

/** web/src/wire.ts for `document` (the parsed openapi/openapi.json). */
export function generateWebTypes(document: Json): string {
  const named = new Map<string, string>();
  const declarations: string[] = [];
  for (const [name, from, locate] of TYPES) {
    const schema = located(document, name, locate) as Json;
    // Later types refer to earlier ones by name where the shape is the same.
    const body = objectBody(schema, named, '');
    declarations.push(`/** ${from} */\nexport interface ${name} ${body}\n`);
    named.set(body, name);
  }
  const constants = CONSTANTS.map(([name, from, locate]) => {
    const value = located(document, name, locate);
    return `/** ${from} */\nexport const ${name} = ${literal(value)};\n`;
  });
  return [HEADER, ...declarations, ...constants].join('\n');
}

const HEADER = `// GENERATED from openapi/openapi.json by \`npm run web-types\` (src/web/wire-types.ts): do not edit.
// test/web-types.test.ts fails when this file and the document differ.
`;

function located(document: Json, name: string, locate: Locate): unknown {
  let value: unknown;
  try {
    value = locate(document);
  } catch {
    value = undefined;
  }
  if (value === undefined) throw new Error(`openapi.json does not have what ${name} is made from`);
  return value;
}

function literal(value: unknown): string {
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  return JSON.stringify(value);
}

/** `{ … }` for an object schema, indented to `indent`. */
function objectBody(schema: Json, named: Map<string, string>, indent: string): string {
  const required = new Set<string>(schema.required ?? []);
  const lines: string[] = [];
  for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
    // A property without a type is accepted and ignored by the server (the read-only `id` in a body):
    // nothing a client should send, so not part of the type.
    if (!isTyped(property)) continue;
    if (property.description) lines.push(`${indent}  /** ${property.description} */`);
    const optional = required.has(key) ? '' : '?';
    lines.push(`${indent}  ${key}${optional}:${propertyType(property, named, `${indent}  `, key)};`);
  }
  return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : '{}';
}

/**
 * A property's type after its colon. A union with a multi-line part (`{ … }[] | null`) is written one
 * part per line, as the formatter (biome) writes it, so that the generated file is already formatted.
 */
function propertyType(schema: Json, named: Map<string, string>, indent: string, key: string): string {
  const whole = typeOf(schema, named, indent, key);
  const types: string[] = Array.isArray(schema.type) ? schema.type : [];
  if (!whole.includes('\n') || types.length < 2 || schema.enum !== undefined) return ` ${whole}`;
  const parts = types.map((type) => single(type, schema, named, `${indent}    `));
  return parts.map((part) => `\n${indent}  | ${part}`).join('');
}

function isTyped(schema: Json): boolean {
  return schema.type !== undefined || schema.enum !== undefined || schema.const !== undefined;
}

function typeOf(schema: Json, named: Map<string, string>, indent: string, key = ''): string {
  if (schema.const !== undefined) return literal(schema.const);
  if (schema.enum !== undefined && !CONFIGURED_ENUMS.has(key)) {
    return (schema.enum as unknown[]).map((value) => (value === null ? 'null' : literal(value))).join(' | ');
  }
  const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.map((type) => single(type, schema, named, indent)).join(' | ');
}

function single(type: string, schema: Json, named: Map<string, string>, indent: string): string {
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = schema.items && isTyped(schema.items) ? typeOf(schema.items, named, indent) : 'unknown';
      return item.startsWith('{') || !item.includes(' | ') ? `${item}[]` : `(${item})[]`;
    }
    case 'object': {
      // Any object (the audit entry's `resource.response`): `{}` would also admit strings and numbers.
      if (!schema.properties || !Object.keys(schema.properties).length) return 'Record<string, unknown>';
      const body = objectBody(schema, named, indent);
      // The same shape as a type declared before (compared without indentation): use its name.
      const flat = body.replace(/\n\s*/g, '\n');
      for (const [declared, name] of named) if (declared.replace(/\n\s*/g, '\n') === flat) return name;
      return body;
    }
    default:
      throw new Error(`wire-types: no TypeScript type for JSON Schema type ${type}`);
  }
}
