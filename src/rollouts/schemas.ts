// What only the HTTP routes of rollouts need around the model (model.ts): path and query parameters.
import { type Static, Type } from '@sinclair/typebox';
import { AccountParams } from '../deployment-groups/schemas.ts';
import { PageQuery } from '../http/pagination.ts';
import { RolloutState } from './model.ts';

export { AccountParams };

export const RolloutParams = Type.Object({
  account_id: AccountParams.properties.account_id,
  // Not checked: an id that is not a UUID names no rollout, which is a 404, not a 400.
  rollout_id: Type.String({ description: 'The rollout ID (a UUID); anything else is not found.' }),
});

export const RolloutListQuery = Type.Object({
  ...PageQuery.properties,
  state: Type.Optional(RolloutState),
});
export type RolloutListQuery = Static<typeof RolloutListQuery>;

/** The four actions on a rollout, each `POST …/rollouts/{id}/<action>` without a body. */
export const ROLLOUT_ACTIONS = ['pause', 'resume', 'abort', 'rollback'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];
