// The two Cloudflare audit-log routes' schemas (docs/contract.md §8.2): every query parameter of Cloudflare's
// published spec (test/fixtures/cloudflare/audit-logs.openapi.json) under its own name, validated, and the
// entry shapes of version 1 (`aaa_audit-logs`) and version 2 (`aaa_audit-logs-v2`) that Fastify serializes.
import { type TSchema, Type } from '@sinclair/typebox';
import { StringEnum } from '../schema.ts';

/** Values one repeatable filter may list: more is never a real query, and bounds the SQL (§4). */
export const MAX_FILTER_VALUES = 100;

const DATE_OR_DATE_TIME =
  'must be an RFC 3339 date (2026-07-01, midnight UTC) or date-time (2026-07-01T12:00:00Z)';

/** `since` / `before`: a full-date or a date-time, as Cloudflare's version 1 spec writes it. */
function DateOrDateTime(description: string) {
  return Type.Unsafe<string>({
    description,
    oneOf: [
      { type: 'string', format: 'date', errorMessage: DATE_OR_DATE_TIME },
      { type: 'string', format: 'date-time', errorMessage: DATE_OR_DATE_TIME },
    ],
  });
}

const Direction = (description: string) =>
  Type.Optional(
    Type.Unsafe<'desc' | 'asc'>({ type: 'string', enum: ['desc', 'asc'], default: 'desc', description }),
  );

/** A parameter sent as `name=a&name=b` (or once), at most MAX_FILTER_VALUES values. */
function List<T extends TSchema>(item: T, description: string) {
  return Type.Optional(Type.Array(item, { maxItems: MAX_FILTER_VALUES, description }));
}

const Text = Type.String({ maxLength: 1024 });
/** The email filters compare with stored addresses, which are lowercase; any case is accepted. */
const Email = Type.String({
  maxLength: 254,
  pattern: '^[^\\s@]+@[^\\s@]+$',
  errorMessage: 'must be an email address',
});

// ---- version 1: GET /accounts/{account_id}/audit_logs ------------------------------------------------

export const V1Query = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 1024, description: 'Finds a specific log by its ID.' })),
  export: Type.Optional(
    Type.Boolean({
      description:
        'Indicates that this request is an export of logs in CSV format. Accepted; the answer stays JSON.',
    }),
  ),
  'action.type': Type.Optional(
    Type.String({
      maxLength: 64,
      description: 'Filters by the action type: create, update, delete, revert or revoke.',
    }),
  ),
  'actor.ip': Type.Optional(
    Type.String({
      maxLength: 64,
      description:
        'Filters by the IP address of the request that made the change, or by a CIDR range (10.0.0.0/8).',
    }),
  ),
  'actor.email': Type.Optional(Email),
  since: Type.Optional(DateOrDateTime('Limits the results to logs at or after this date.')),
  before: Type.Optional(DateOrDateTime('Limits the results to logs before this date.')),
  'zone.name': Type.Optional(
    Type.String({
      maxLength: 253,
      description: 'Filters by zone name. Ringmaster has no zones: no log has one.',
    }),
  ),
  direction: Direction('Changes the direction of the chronological sorting (newest first by default).'),
  per_page: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 100,
      description: 'Sets the number of results per page.',
    }),
  ),
  page: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      default: 1,
      description: 'Defines which page of results to return.',
    }),
  ),
  hide_user_logs: Type.Optional(
    Type.Boolean({
      default: false,
      description:
        'Hides user-level logs: changes to credentials that grant every account (they concern no one account).',
    }),
  ),
});

export interface V1QueryValues {
  id?: string;
  export?: boolean;
  'action.type'?: string;
  'actor.ip'?: string;
  'actor.email'?: string;
  since?: string;
  before?: string;
  'zone.name'?: string;
  direction: 'desc' | 'asc';
  per_page: number;
  page: number;
  hide_user_logs: boolean;
}

// ---- version 2: GET /accounts/{account_id}/logs/audit -----------------------------------------------

export const ACTION_TYPES = ['create', 'delete', 'view', 'update'] as const;
export const ACTION_RESULTS = ['success', 'failure'] as const;
export const ACTOR_CONTEXTS = ['api', 'api_key', 'api_token', 'dash', 'oauth', 'origin_ca_key'] as const;
export const ACTOR_TYPES = ['account', 'cloudflare_admin', 'delegated_service', 'system', 'user'] as const;
export const RESOURCE_SCOPES = ['accounts', 'user', 'zones', 'memberships'] as const;

/**
 * The version 2 filters, each with its `.not` exclusion: name → the schema of one value. `product_category`
 * has no exclusion (Cloudflare's spec).
 */
export const V2_FILTERS = {
  account_name: Text,
  action_result: StringEnum(ACTION_RESULTS),
  action_type: StringEnum(ACTION_TYPES),
  actor_context: StringEnum(ACTOR_CONTEXTS),
  actor_email: Email,
  actor_id: Text,
  actor_ip_address: Type.String({ maxLength: 64 }),
  actor_token_id: Text,
  actor_token_name: Text,
  actor_type: StringEnum(ACTOR_TYPES),
  audit_log_id: Text,
  id: Text,
  raw_cf_ray_id: Text,
  raw_method: Type.String({ maxLength: 16 }),
  raw_status_code: Type.Integer({ minimum: 100, maximum: 599 }),
  raw_uri: Type.String({ maxLength: 8192 }),
  resource_id: Text,
  resource_product: Text,
  resource_type: Text,
  resource_scope: StringEnum(RESOURCE_SCOPES),
  zone_id: Text,
  zone_name: Text,
} as const;
export type V2Filter = keyof typeof V2_FILTERS;

const DEPRECATED = new Set<V2Filter>(['audit_log_id']);

function v2Filters(): Record<string, TSchema> {
  const properties: Record<string, TSchema> = {};
  for (const [name, item] of Object.entries(V2_FILTERS)) {
    const deprecated = DEPRECATED.has(name as V2Filter) ? { deprecated: true } : {};
    properties[name] = { ...List(item, `Keeps the logs whose ${name} is one of these.`), ...deprecated };
  }
  properties.product_category = List(
    Type.String({ maxLength: 64 }),
    'Keeps the logs of these product categories (case-insensitive): zerotrust (deployment groups), ' +
      'iam (API tokens and keys). Unioned with resource_product. Unknown categories are refused.',
  );
  for (const [name, item] of Object.entries(V2_FILTERS)) {
    const deprecated = DEPRECATED.has(name as V2Filter) ? { deprecated: true } : {};
    properties[`${name}.not`] = {
      ...List(item, `Leaves out the logs whose ${name} is one of these.`),
      ...deprecated,
    };
  }
  return properties;
}

export const V2Query = Type.Object(
  {
    ...v2Filters(),
    since: DateOrDateTime(
      'Limits the results to logs at or after this date: a date (2019-04-30, midnight UTC) or an RFC 3339 date-time.',
    ),
    before: DateOrDateTime(
      'Limits the results to logs before this date: a date (2019-04-30, midnight UTC) or an RFC 3339 date-time.',
    ),
    direction: Direction('Sets sorting order (newest first by default).'),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'The most logs to return.' }),
    ),
    cursor: Type.Optional(
      Type.String({
        maxLength: 64,
        description:
          'Where to continue: result_info.cursor (also result_info.cursors.after) of the page before.',
      }),
    ),
  },
  { required: ['since', 'before'] },
);

export type V2QueryValues = {
  [name in V2Filter | `${V2Filter}.not` | 'product_category']?: (string | number)[];
} & {
  since: string;
  before: string;
  direction: 'desc' | 'asc';
  limit: number;
  cursor?: string;
};

// ---- responses -------------------------------------------------------------------------------------

const Message = Type.Object({ code: Type.Integer(), message: Type.String() });
/** Free-form JSON objects (a resource's value, metadata): serialized as they are. */
const AnyObject = Type.Object({}, { additionalProperties: true });

export const V1Entry = Type.Object({
  id: Type.String(),
  action: Type.Object({ result: Type.Boolean(), type: Type.String() }),
  actor: Type.Object({
    email: Type.Optional(Type.String()),
    id: Type.Optional(Type.String()),
    ip: Type.Optional(Type.String()),
    type: StringEnum(['user', 'admin', 'Cloudflare']),
  }),
  interface: Type.String(),
  metadata: AnyObject,
  newValue: Type.Optional(Type.String()),
  oldValue: Type.Optional(Type.String()),
  owner: Type.Optional(Type.Object({ id: Type.String() })),
  resource: Type.Object({ id: Type.String(), type: Type.String() }),
  when: Type.String(),
});

export const V1Envelope = Type.Object({
  success: Type.Boolean(),
  errors: Type.Array(Message),
  messages: Type.Array(Message),
  result: Type.Array(V1Entry),
  result_info: Type.Object({ page: Type.Integer(), per_page: Type.Integer(), count: Type.Integer() }),
});

export const V2Entry = Type.Object({
  id: Type.String(),
  account: Type.Optional(Type.Object({ id: Type.String() })),
  action: Type.Object({
    description: Type.String(),
    result: Type.String(),
    time: Type.String(),
    type: Type.String(),
  }),
  actor: Type.Object({
    context: Type.Optional(StringEnum(ACTOR_CONTEXTS)),
    email: Type.Optional(Type.String()),
    id: Type.Optional(Type.String()),
    ip_address: Type.Optional(Type.String()),
    token_id: Type.Optional(Type.String()),
    token_name: Type.Optional(Type.String()),
    type: StringEnum(ACTOR_TYPES),
  }),
  raw: Type.Object({
    cf_ray_id: Type.Optional(Type.String()),
    method: Type.Optional(Type.String()),
    status_code: Type.Optional(Type.Integer()),
    uri: Type.Optional(Type.String()),
    user_agent: Type.Optional(Type.String()),
  }),
  resource: Type.Object({
    id: Type.String(),
    product: Type.String(),
    response: Type.Optional(AnyObject),
    scope: StringEnum(RESOURCE_SCOPES),
    type: Type.String(),
  }),
});

export const V2Envelope = Type.Object({
  success: Type.Boolean(),
  errors: Type.Array(Message),
  messages: Type.Array(Message),
  result: Type.Array(V2Entry),
  result_info: Type.Object({
    count: Type.String({ description: 'Logs in this page, as a string (Cloudflare’s spec).' }),
    cursor: Type.Optional(Type.String()),
    cursors: Type.Optional(Type.Object({ after: Type.Optional(Type.String()) })),
  }),
});
