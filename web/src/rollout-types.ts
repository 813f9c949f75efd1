// The rollout and version-target shapes the dashboard uses (docs/contract.md §8.4, §8.5).
import type { VersionConfig } from './wire.ts';

export type RolloutState =
  | 'scheduled'
  | 'running'
  | 'paused'
  | 'completed'
  | 'aborted'
  | 'rolled_back'
  | 'failed';
export type StageState = 'pending' | 'applied' | 'skipped' | 'rolled_back';

export interface RolloutStage {
  deployment_group_id: string;
  wait: string;
  state: StageState;
  due_at: string | null;
  applied_at: string | null;
  replaced: VersionConfig[] | null;
}

export interface Rollout {
  id: string;
  name: string;
  state: RolloutState;
  state_reason: string | null;
  version_config: VersionConfig[];
  start_at: string;
  stages: RolloutStage[];
  created_by: { type: string; id: string; name?: string | null; email?: string | null } | null;
  created_at: string;
  updated_at: string;
}

export interface RolloutCreate {
  name: string;
  version_config: VersionConfig[];
  stages: { deployment_group_id: string; wait: string }[];
  start_at?: string;
}

export interface VersionTarget {
  policy_id: string;
  target_environment: string;
  version: string;
  deployment_group: { id: string; name: string };
}
