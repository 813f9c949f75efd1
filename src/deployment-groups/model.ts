// The deployment group (docs/contract.md §2, §4): each of its rules written once, as TypeBox schemas, with
// the types the code uses derived from them. Request bodies, responses, the backup format
// (src/store/backup.ts) and the store are built from these; this file imports nothing of theirs.
import { type Static, Type } from '@sinclair/typebox';
import { MAX_FIELDS, Nullable, Timestamp } from '../schema.ts';

export const MAX_NAME_LENGTH = 255;
export const MAX_VERSION_CONFIG_ENTRIES = 16;
export const MAX_POLICY_IDS = 1000;
export const MAX_POLICY_ID_LENGTH = 36;
/** Fields of a version_config entry (two are known): see MAX_FIELDS. */
export const MAX_ENTRY_FIELDS = 8;

// At least one non-space character. No control characters, no lone surrogates (no store could keep them
// as valid UTF-8), no line or paragraph separators, and no invisible format characters such as U+202E
// (right-to-left override) or U+200B, so that one ring cannot be made to display as another — except
// U+200D joining two emoji (👩‍💻: an Extended_Pictographic, optionally with U+FE0F or a skin tone, then
// another). Ajv compiles patterns with the `u` flag, so \p{…} works (docs/contract.md §4). The pattern
// must also parse without it (the serializer checks response schemas so), hence no \u{…} escapes.
const EMOJI_BEFORE_JOINER = '(?<=\\p{Extended_Pictographic}[\\uFE0F\\p{Emoji_Modifier}]?)';
const NAME_PATTERN = `^(?=[\\s\\S]*\\S)(?:[^\\p{Cc}\\p{Cs}\\p{Cf}\\p{Zl}\\p{Zp}]|${EMOJI_BEFORE_JOINER}\\u200D(?=\\p{Extended_Pictographic}))*$`;
// YYYY.M.BUILD.TRACK, e.g. 2026.6.822.0 (GA ends .0, beta .1).
const VERSION_PATTERN = '^\\d{4}\\.(?:[1-9]|1[0-2])\\.\\d+\\.\\d+$';
// Printable ASCII without spaces: device profile IDs are UUIDs.
const POLICY_ID_PATTERN = '^[!-~]+$';

/** The server picks a group's id with randomUUID(); anything else cannot name a group. */
export const GROUP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const GroupId = Type.String({
  pattern: GROUP_ID.source,
  errorMessage: 'must be a lowercase UUID',
  description: 'The deployment group ID (a UUID the server picks).',
});

export const Name = Type.String({
  minLength: 1,
  maxLength: MAX_NAME_LENGTH,
  pattern: NAME_PATTERN,
  errorMessage:
    'must contain a non-space character and no control, line-separator or invisible formatting characters (such as U+202E or U+200B; U+200D only inside an emoji)',
  description: 'A user-friendly name for the deployment group.',
});

export const Version = Type.String({
  pattern: VERSION_PATTERN,
  errorMessage: 'must look like 2026.6.822.0 (YYYY.M.BUILD.TRACK)',
  description: 'The specific client version to deploy.',
});

const TARGET_ENVIRONMENT_DESCRIPTION =
  'The target environment for the client version (e.g., windows, macos); null means every environment without its own entry.';

/**
 * One of the configured environments (TARGET_ENVIRONMENTS) or null. Without a list, any string: a stored
 * group may name an environment that was configured when it was written.
 */
export function TargetEnvironment(environments?: readonly string[]) {
  if (environments === undefined) {
    return Nullable(Type.String({ description: TARGET_ENVIRONMENT_DESCRIPTION }));
  }
  return Type.Unsafe<string | null>({
    type: 'string',
    nullable: true,
    enum: [...environments, null],
    description: TARGET_ENVIRONMENT_DESCRIPTION,
  });
}

export function VersionConfigEntry(environments?: readonly string[]) {
  return Type.Object(
    { target_environment: TargetEnvironment(environments), version: Version },
    { additionalProperties: false, maxProperties: MAX_ENTRY_FIELDS },
  );
}
export type VersionConfigEntry = Static<ReturnType<typeof VersionConfigEntry>>;

/** The entries, in the client's order; each environment (and null) at most once. */
export function VersionConfig(environments?: readonly string[]) {
  return Type.Array(VersionConfigEntry(environments), {
    minItems: 1,
    maxItems: MAX_VERSION_CONFIG_ENTRIES,
    uniqueBy: 'target_environment',
  });
}

export const PolicyId = Type.String({
  minLength: 1,
  maxLength: MAX_POLICY_ID_LENGTH,
  pattern: POLICY_ID_PATTERN,
  errorMessage: 'must be printable ASCII without spaces',
});

/** `null` when never set or cleared; `[]` only when the client sent `[]`. Client order is kept. */
export const PolicyIds = Nullable(Type.Array(PolicyId, { maxItems: MAX_POLICY_IDS, uniqueItems: true }));

/** The group with its rules; `environments` restricts target_environment to the configured ones. */
export function deploymentGroupSchema(environments?: readonly string[]) {
  return Type.Object({
    id: GroupId,
    name: Name,
    version_config: VersionConfig(environments),
    policy_ids: PolicyIds,
    created_at: Timestamp,
    updated_at: Timestamp,
  });
}

/** A deployment group exactly as it is served, stored and backed up. */
export const DeploymentGroup = deploymentGroupSchema();
export type DeploymentGroup = Static<typeof DeploymentGroup>;

/** Read-only fields a client may echo back (GET-modify-PATCH); accepted and ignored. */
const ignored = {
  description: 'Read-only; accepted and ignored, so that GET-modify-PATCH round-trips work.',
};
const ReadOnlyFields = {
  id: Type.Optional(Type.Unknown(ignored)),
  created_at: Type.Optional(Type.Unknown(ignored)),
  updated_at: Type.Optional(Type.Unknown(ignored)),
};

export function createBodySchema(environments: readonly string[]) {
  return Type.Object(
    {
      name: Name,
      version_config: VersionConfig(environments),
      policy_ids: Type.Optional(PolicyIds),
      ...ReadOnlyFields,
    },
    { additionalProperties: false, maxProperties: MAX_FIELDS },
  );
}

export function updateBodySchema(environments?: readonly string[]) {
  return Type.Object(
    {
      name: Type.Optional(Name),
      version_config: Type.Optional(VersionConfig(environments)),
      policy_ids: Type.Optional(PolicyIds),
      ...ReadOnlyFields,
    },
    { additionalProperties: false, maxProperties: MAX_FIELDS },
  );
}

export type CreateBody = Static<ReturnType<typeof createBodySchema>>;
export type UpdateBody = Static<ReturnType<typeof updateBodySchema>>;
