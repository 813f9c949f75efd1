// The rollout (docs/contract.md §8.5): versions taken through an ordered list of rings (deployment
// groups), a wait between stages. Each rule written once, as TypeBox schemas, with the types the code uses
// derived from them. Request bodies, responses, the store and the backup format are built from these.
import { type Static, Type } from '@sinclair/typebox';
import { AuditActorType } from '../audit/model.ts';
import { GroupId, MAX_VERSION_CONFIG_ENTRIES, Name, VersionConfig } from '../deployment-groups/model.ts';
import { MAX_FIELDS, Nullable, StringEnum, Timestamp } from '../schema.ts';

export const MAX_STAGES = 20;
/** The longest wait of a stage, and the furthest ahead start_at may be. */
export const MAX_WAIT_DAYS = 365;

/** `scheduled` until its first stage is applied; active while `scheduled` or `running`. */
export const RolloutState = StringEnum(
  ['scheduled', 'running', 'paused', 'completed', 'aborted', 'rolled_back', 'failed'],
  { description: 'Where the rollout is.' },
);
export type RolloutState = Static<typeof RolloutState>;

/** States whose rollout may still apply a stage, and so claims its rings' environments (the 409 of §8.5). */
export const ACTIVE_STATES: readonly RolloutState[] = ['scheduled', 'running'];

export const StageState = StringEnum(['pending', 'applied', 'skipped', 'rolled_back'], {
  description: 'pending: not applied yet; skipped: will never be (aborted, or its ring was deleted).',
});
export type StageState = Static<typeof StageState>;

/** The same UUID shape as a group's: the server picks it. */
export const RolloutId = Type.String({
  pattern: GroupId.pattern,
  errorMessage: 'must be a lowercase UUID',
  description: 'The rollout ID (a UUID the server picks).',
});

/** As a group's name (docs/contract.md §4). */
const RolloutName: typeof Name = { ...Name, description: 'A name for the rollout.' };

/** A number of seconds, minutes, hours or days, e.g. `90s`, `30m`, `24h`, `7d`; at most 365 days. */
export const WAIT_PATTERN = '^\\d{1,9}(s|m|h|d)$';
export const Wait = Type.String({
  pattern: WAIT_PATTERN,
  errorMessage: 'must be a number of s, m, h or d, e.g. 24h (at most 365d)',
  description:
    'How long after the previous stage was applied (the first stage: after start_at) this one falls due.',
});

/** RFC 3339 with any offset; checked for a real instant by the service. */
export const START_AT_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?(?:[Zz]|[+-]\\d{2}:\\d{2})$';

/** Objects read back from a backup are bounded like request bodies (src/http/validation.ts). */
const bounded = { additionalProperties: false, maxProperties: MAX_FIELDS } as const;

/** What a stage overwrote in its ring: the entry's version before, or null where there was none. */
export const ReplacedEntry = Type.Object(
  { target_environment: Nullable(Type.String()), version: Nullable(Type.String()) },
  bounded,
);
export type ReplacedEntry = Static<typeof ReplacedEntry>;

export const Stage = Type.Object(
  {
    deployment_group_id: GroupId,
    wait: Wait,
    state: StageState,
    due_at: Nullable(Timestamp),
    applied_at: Nullable(Timestamp),
    replaced: Nullable(Type.Array(ReplacedEntry, { maxItems: MAX_VERSION_CONFIG_ENTRIES })),
  },
  bounded,
);
export type Stage = Static<typeof Stage>;

/** Who created the rollout: the credential of the request (as audit entries name it). */
export const Creator = Type.Object(
  {
    type: AuditActorType,
    id: Nullable(Type.String()),
    name: Nullable(Type.String()),
    email: Nullable(Type.String()),
  },
  bounded,
);
export type Creator = Static<typeof Creator>;

/** A rollout exactly as it is served, stored and backed up. */
export const Rollout = Type.Object({
  id: RolloutId,
  name: RolloutName,
  state: RolloutState,
  state_reason: Nullable(Type.String({ description: 'Why it is in its state, when not by request.' })),
  version_config: VersionConfig(),
  start_at: Timestamp,
  stages: Type.Array(Stage, { minItems: 1, maxItems: MAX_STAGES }),
  created_by: Creator,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Rollout = Static<typeof Rollout>;

export const StageBody = Type.Object(
  { deployment_group_id: GroupId, wait: Type.Optional(Wait) },
  { additionalProperties: false, maxProperties: MAX_FIELDS },
);

export function createRolloutBodySchema(environments: readonly string[]) {
  return Type.Object(
    {
      name: RolloutName,
      version_config: VersionConfig(environments),
      stages: Type.Array(StageBody, {
        minItems: 1,
        maxItems: MAX_STAGES,
        uniqueBy: 'deployment_group_id',
      }),
      start_at: Type.Optional(
        Type.String({
          pattern: START_AT_PATTERN,
          errorMessage: 'must be an RFC 3339 date-time, e.g. 2026-07-01T12:00:00Z',
          description: 'When the first stage’s wait starts (default: now); at most 365 days ahead.',
        }),
      ),
    },
    { additionalProperties: false, maxProperties: MAX_FIELDS },
  );
}
export type CreateRolloutBody = Static<ReturnType<typeof createRolloutBodySchema>>;
