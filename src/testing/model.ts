// What test mode speaks (docs/contract.md §8.6): the fixtures document, fault rules and journal entries, as
// TypeBox schemas. The routes validate with them, the OpenAPI document shows them, and the types that
// `ringmaster/testing` hands its users are derived from them.
import { type Static, Type } from '@sinclair/typebox';
import { AccountId } from '../accounts.ts';
import { createBodySchema, DeploymentGroup } from '../deployment-groups/model.ts';
import { ERRORS } from '../errors.ts';
import { Nullable, Timestamp } from '../schema.ts';

/** Accounts in one fixtures document, and groups per account: a test fixture, not a migration. */
export const MAX_FIXTURE_ACCOUNTS = 100;
export const MAX_FIXTURE_GROUPS = 1000;
/** Fault rules held at once: a test needs a few; more is a runaway loop. */
export const MAX_FAULT_RULES = 100;
/** The longest injected delay: longer than any client timeout a test would set, short of hanging CI. */
export const MAX_DELAY_MS = 30_000;

/** `{"accounts": {"<account_id>": {"deployment_groups": [<create body>, …]}}}`, as `--seed` reads it. */
export function fixturesSchema(environments: readonly string[]) {
  const account = Type.Object(
    {
      deployment_groups: Type.Array(createBodySchema(environments), { maxItems: MAX_FIXTURE_GROUPS }),
    },
    { additionalProperties: false, maxProperties: 1 },
  );
  return Type.Object(
    {
      accounts: Type.Object(
        {},
        {
          propertyNames: { pattern: AccountId.pattern, errorMessage: AccountId.errorMessage },
          additionalProperties: account,
          maxProperties: MAX_FIXTURE_ACCOUNTS,
          description: 'Deployment groups to create, by account ID (32 lowercase hex digits).',
        },
      ),
    },
    { additionalProperties: false, maxProperties: 1 },
  );
}
export type Fixtures = {
  accounts: Record<string, { deployment_groups: Static<ReturnType<typeof createBodySchema>>[] }>;
};

/** What a seed created, in the fixtures' shape and order, with ids and timestamps. */
export const Seeded = Type.Object({
  accounts: Type.Record(Type.String(), Type.Object({ deployment_groups: Type.Array(DeploymentGroup) })),
});
export type Seeded = Static<typeof Seeded>;

/** The statuses a fault may answer with: those the error table has (src/errors.ts). */
export const FAULT_STATUSES = [...new Set(Object.values(ERRORS).map((entry) => entry.status))].sort();

const Method = Type.String({
  pattern: '^[A-Za-z]{1,16}$',
  errorMessage: 'must be an HTTP method, e.g. POST',
  description: 'The request method (any case); absent: every method.',
});

export const FaultMatch = Type.Object(
  {
    method: Type.Optional(Method),
    path: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        pattern: '^/',
        errorMessage: 'must be a path glob starting with /',
        description:
          'A glob on the path without the query: `*` is any run of characters but `/`, `**` any run at all, `?` one character. Absent: every API path.',
      }),
    ),
    account_id: Type.Optional(AccountId),
  },
  { additionalProperties: false, maxProperties: 3 },
);

export const FaultRespond = Type.Object(
  {
    status: Type.Optional(
      Type.Integer({
        enum: FAULT_STATUSES,
        description: 'Answer with this status, in the envelope the error table gives it.',
      }),
    ),
    code: Type.Optional(
      Type.Integer({ description: 'One of the error table’s codes for `status`; default: its first.' }),
    ),
    retry_after: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 86_400,
        description: 'The Retry-After header in seconds (default 1 on a 429; the table’s on a 503).',
      }),
    ),
    delay_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_DELAY_MS,
        description: 'Hold the request this long, then answer it normally.',
      }),
    ),
    drop: Type.Optional(Type.Literal(true, { description: 'Close the connection without an answer.' })),
  },
  { additionalProperties: false, maxProperties: 5 },
);

export const FaultRuleInput = Type.Object(
  {
    match: Type.Optional(FaultMatch),
    respond: FaultRespond,
    times: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Apply this many times; absent: always.' }),
    ),
    probability: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'The chance that a matching request is affected (default 1).',
      }),
    ),
  },
  { additionalProperties: false, maxProperties: 4 },
);
export type FaultRuleInput = Static<typeof FaultRuleInput>;

export const FaultRule = Type.Object({
  id: Type.String({ description: 'fault_1, fault_2, … in the order the rules were added.' }),
  match: FaultMatch,
  respond: FaultRespond,
  times: Nullable(Type.Integer()),
  probability: Type.Number(),
  /** Requests the rule has affected so far. */
  hits: Type.Integer(),
  /** How many more times it applies; null: no limit. A rule at 0 stays listed but never applies. */
  remaining: Nullable(Type.Integer()),
});
export type FaultRule = Static<typeof FaultRule>;

export const JournalEntry = Type.Object({
  method: Type.String(),
  path: Type.String({ description: 'As sent, with anything shaped like a secret masked.' }),
  query: Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())])),
  status: Nullable(
    Type.Integer({ description: 'The answer’s status; null when a fault dropped the connection.' }),
  ),
  error_codes: Type.Array(Type.Integer()),
  body: Type.Unknown({
    description: 'The JSON body sent (secrets masked); null without one or over 16 KiB.',
  }),
  ray_id: Type.String(),
  time: Timestamp,
  fault: Nullable(Type.String({ description: 'The id of the fault rule that affected the request.' })),
});
export type JournalEntry = Static<typeof JournalEntry>;
