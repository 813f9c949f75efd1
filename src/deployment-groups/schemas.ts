// Request and response schemas for deployment groups: validation, TypeScript types, response
// serialization and (later) the OpenAPI document come from these. Rules: docs/contract.md §2 and §4.
import { type Static, Type } from '@sinclair/typebox';

export const MAX_VERSION_CONFIG_ENTRIES = 16;
export const MAX_POLICY_IDS = 1000;
// Fields per object, far above the known ones: a few typos are each named, a flood of unknown fields is one
// violation (docs/contract.md §4).
const MAX_BODY_FIELDS = 32;
const MAX_ENTRY_FIELDS = 8;

// At least one non-space character; no control characters and no lone surrogates (which no store
// could keep as valid UTF-8). Ajv compiles patterns with the `u` flag, so \p{…} works.
const NAME_PATTERN = '^(?=[\\s\\S]*\\S)[^\\p{Cc}\\p{Cs}]*$';
// YYYY.M.BUILD.TRACK, e.g. 2026.6.822.0 (GA ends .0, beta .1).
const VERSION_PATTERN = '^\\d{4}\\.(?:[1-9]|1[0-2])\\.\\d+\\.\\d+$';
// Printable ASCII without spaces: device profile IDs are UUIDs.
const POLICY_ID_PATTERN = '^[!-~]+$';

const Name = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: NAME_PATTERN,
  errorMessage: 'must contain a non-space character and no control characters',
  description: 'A user-friendly name for the deployment group.',
});

/** `null` means "every environment without its own entry". */
export function targetEnvironmentSchema(environments: string[]) {
  return Type.Unsafe<string | null>({
    type: 'string',
    nullable: true,
    enum: [...environments, null],
    description: 'The target environment for the client version (e.g., windows, macos).',
  });
}

function versionConfigEntry(environments: string[]) {
  return Type.Object(
    {
      target_environment: targetEnvironmentSchema(environments),
      version: Type.String({
        pattern: VERSION_PATTERN,
        errorMessage: 'must look like 2026.6.822.0 (YYYY.M.BUILD.TRACK)',
        description: 'The specific client version to deploy.',
      }),
    },
    { additionalProperties: false, maxProperties: MAX_ENTRY_FIELDS },
  );
}

function versionConfigList(environments: string[]) {
  return Type.Array(versionConfigEntry(environments), {
    minItems: 1,
    maxItems: MAX_VERSION_CONFIG_ENTRIES,
    uniqueBy: 'target_environment',
  });
}

const PolicyIds = Type.Unsafe<string[] | null>({
  ...Type.Array(
    Type.String({
      minLength: 1,
      maxLength: 36,
      pattern: POLICY_ID_PATTERN,
      errorMessage: 'must be printable ASCII without spaces',
    }),
    { maxItems: MAX_POLICY_IDS, uniqueItems: true },
  ),
  nullable: true,
});

/** Read-only fields a client may echo back (GET-modify-PATCH); accepted and ignored. */
const ignored = {
  description: 'Read-only; accepted and ignored, so that GET-modify-PATCH round-trips work.',
};
const ReadOnlyFields = {
  id: Type.Optional(Type.Unknown(ignored)),
  created_at: Type.Optional(Type.Unknown(ignored)),
  updated_at: Type.Optional(Type.Unknown(ignored)),
};

export function createBodySchema(environments: string[]) {
  return Type.Object(
    {
      name: Name,
      version_config: versionConfigList(environments),
      policy_ids: Type.Optional(PolicyIds),
      ...ReadOnlyFields,
    },
    { additionalProperties: false, maxProperties: MAX_BODY_FIELDS },
  );
}

export function updateBodySchema(environments: string[]) {
  return Type.Object(
    {
      name: Type.Optional(Name),
      version_config: Type.Optional(versionConfigList(environments)),
      policy_ids: Type.Optional(PolicyIds),
      ...ReadOnlyFields,
    },
    { additionalProperties: false, maxProperties: MAX_BODY_FIELDS },
  );
}

export type CreateBody = Static<ReturnType<typeof createBodySchema>>;
export type UpdateBody = Static<ReturnType<typeof updateBodySchema>>;

// Account IDs are checked (32 lowercase hex, else 404 7003) by the auth hook before validation runs;
// the pattern here documents it.
const AccountId = Type.String({ pattern: '^[0-9a-f]{32}$', description: 'The account ID (32 hex digits).' });
const GroupId = Type.String({ description: 'The deployment group ID (a UUID); anything else is not found.' });
export const AccountParams = Type.Object({ account_id: AccountId });
export const GroupParams = Type.Object({ account_id: AccountId, group_id: GroupId });

/** The response object; serialization drops anything not listed here. */
export const DeploymentGroupSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  version_config: Type.Array(
    Type.Object({
      target_environment: Type.Unsafe<string | null>({ type: 'string', nullable: true }),
      version: Type.String(),
    }),
  ),
  policy_ids: Type.Unsafe<string[] | null>({ type: 'array', items: { type: 'string' }, nullable: true }),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export const DeletedSchema = Type.Object({ id: Type.String() });
