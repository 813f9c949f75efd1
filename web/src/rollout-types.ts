// Names for the parts of the rollout shapes the dashboard uses; the shapes themselves are generated from
// the OpenAPI document into wire.ts (docs/contract.md §8.4, §8.5).
import type { Rollout } from './wire.ts';

export type { Rollout, RolloutCreate, VersionTarget } from './wire.ts';
export type RolloutState = Rollout['state'];
export type RolloutStage = Rollout['stages'][number];
export type StageState = RolloutStage['state'];
