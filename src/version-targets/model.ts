// Version targets (docs/contract.md §8.4): which client version a device on a policy running an
// environment should get. Each shape written once, as TypeBox; the group's own rules (policy IDs,
// environments, versions) come from deployment-groups/model.ts.
import { type Static, Type } from '@sinclair/typebox';
import { GroupId, Name, PolicyId, Version, VersionConfig } from '../deployment-groups/model.ts';
import { MAX_FIELDS, Nullable } from '../schema.ts';

/** Queries in one POST …/resolve. */
export const MAX_QUERIES = 1000;

/** A device's question: its policy and its environment (one of the configured ones). */
export function TargetQuery(environments?: readonly string[]) {
  return Type.Object(
    {
      policy_id: PolicyId,
      target_environment: Type.Unsafe<string>({
        type: 'string',
        ...(environments && { enum: [...environments] }),
        description: 'The device’s environment: one of the configured ones (e.g. windows, macos).',
      }),
    },
    { additionalProperties: false, maxProperties: MAX_FIELDS },
  );
}
export type TargetQuery = Static<ReturnType<typeof TargetQuery>>;

/** The answer: the version, and the group it comes from. */
export const VersionTarget = Type.Object({
  policy_id: PolicyId,
  target_environment: Type.String({ description: 'The environment asked about.' }),
  version: Version,
  deployment_group: Type.Object({ id: GroupId, name: Name }),
});
export type VersionTarget = Static<typeof VersionTarget>;

/** GET …/version-targets: with policy_id (and target_environment) one answer; without, the document. */
export function TargetsQuerystring(environments?: readonly string[]) {
  const query = TargetQuery(environments);
  return Type.Object({
    policy_id: Type.Optional(query.properties.policy_id),
    target_environment: Type.Optional(query.properties.target_environment),
  });
}

export function ResolveBody(environments?: readonly string[]) {
  return Type.Object(
    {
      queries: Type.Array(TargetQuery(environments), {
        minItems: 1,
        maxItems: MAX_QUERIES,
        description: 'The questions, answered in the same order.',
      }),
    },
    { additionalProperties: false, maxProperties: MAX_FIELDS },
  );
}
export type ResolveBody = Static<ReturnType<typeof ResolveBody>>;

/** One held policy in the account's document: its group and that group's entries. */
export const PolicyTargets = Type.Object({
  policy_id: PolicyId,
  deployment_group_id: GroupId,
  version_config: VersionConfig(),
});
export type PolicyTargets = Static<typeof PolicyTargets>;

/** The account's whole document: every held policy, by group (list order), each group's in its order. */
export const TargetsDocument = Type.Object({ targets: Type.Array(PolicyTargets) });

export const NullableTarget = Nullable(VersionTarget);
