// The rules of rollouts (docs/contract.md §8.5), HTTP-free: what a create body must also satisfy beyond its
// schema (real instants, waits within bounds, rings of this account), the 404s, and the actions as steps
// (plan.ts) the store runs in one transaction.
import { randomUUID } from 'node:crypto';
import type { AuditContext } from '../audit/model.ts';
import { formatTimestamp, NANOS_PER_DAY, nowNanos, parseDateOrDateTime } from '../clock.ts';
import { GROUP_ID } from '../deployment-groups/model.ts';
import { normalizeVersionConfig } from '../deployment-groups/service.ts';
import { ApiError, type Violation, validationError } from '../errors.ts';
import type { PageRequest, Store } from '../store/store.ts';
import {
  type CreateRolloutBody,
  type Creator,
  MAX_WAIT_DAYS,
  type Rollout,
  type RolloutState,
} from './model.ts';
import { abort, checkConflicts, dueAfter, pause, resume, rollback, waitNanos } from './plan.ts';
import type { RolloutAction } from './schemas.ts';

const MAX_WAIT = BigInt(MAX_WAIT_DAYS) * NANOS_PER_DAY;
const DEFAULT_WAIT = '0s';

export class RolloutService {
  constructor(private readonly store: Store) {}

  list(accountId: string, page: PageRequest, state?: RolloutState) {
    return this.store.listRollouts(accountId, page, state);
  }

  async get(accountId: string, rolloutId: string): Promise<Rollout> {
    const rollout = GROUP_ID.test(rolloutId) ? await this.store.getRollout(accountId, rolloutId) : undefined;
    if (!rollout) throw new ApiError('rolloutNotFound');
    return rollout;
  }

  async create(accountId: string, body: CreateRolloutBody, creator: Creator): Promise<Rollout> {
    const at = nowNanos();
    const startAt = await this.check(accountId, body, at);
    const now = formatTimestamp(at);
    const rollout = newRollout(body, creator, startAt, now);
    await this.store.insertRollout(accountId, rollout, (others) => checkConflicts(rollout, others));
    return rollout;
  }

  async act(accountId: string, rolloutId: string, action: RolloutAction, audit: AuditContext) {
    const step = { pause, resume, abort, rollback: rollback(audit) }[action];
    const changed = GROUP_ID.test(rolloutId)
      ? await this.store.changeRollout(accountId, rolloutId, step)
      : undefined;
    if (!changed) throw new ApiError('rolloutNotFound');
    return changed;
  }

  /**
   * What the schema cannot say, every violation reported together: start_at a real instant at most
   * MAX_WAIT_DAYS ahead, waits at most that long, rings that exist in this account. Returns start_at.
   */
  private async check(accountId: string, body: CreateRolloutBody, at: bigint): Promise<string> {
    const violations: Violation[] = [];
    const startAt = body.start_at === undefined ? at : parseDateOrDateTime(body.start_at);
    if (startAt === undefined) {
      violations.push({ pointer: '/start_at', message: 'start_at is not a real date and time' });
    } else if (startAt - at > MAX_WAIT) {
      violations.push({
        pointer: '/start_at',
        message: `start_at must be at most ${MAX_WAIT_DAYS} days ahead`,
      });
    }
    const rings = await Promise.all(
      body.stages.map((stage) => this.store.getDeploymentGroup(accountId, stage.deployment_group_id)),
    );
    body.stages.forEach((stage, i) => {
      if (stage.wait !== undefined && waitNanos(stage.wait) > MAX_WAIT) {
        violations.push({ pointer: `/stages/${i}/wait`, message: `wait must be at most ${MAX_WAIT_DAYS}d` });
      }
      if (!rings[i]) {
        violations.push({
          pointer: `/stages/${i}/deployment_group_id`,
          message: `deployment_group_id names no deployment group of this account`,
        });
      }
    });
    if (violations.length > 0) throw validationError(violations);
    return formatTimestamp(startAt as bigint);
  }
}

/** The rollout a valid create body makes: every stage pending, the first due its wait after start_at. */
function newRollout(body: CreateRolloutBody, creator: Creator, startAt: string, now: string): Rollout {
  return {
    id: randomUUID(),
    name: body.name,
    state: 'scheduled',
    state_reason: null,
    version_config: normalizeVersionConfig(body.version_config),
    start_at: startAt,
    stages: body.stages.map((stage, i) => {
      const wait = stage.wait ?? DEFAULT_WAIT;
      return {
        deployment_group_id: stage.deployment_group_id,
        wait,
        state: 'pending',
        due_at: i === 0 ? dueAfter(startAt, wait) : null,
        applied_at: null,
        replaced: null,
      };
    }),
    created_by: creator,
    created_at: now,
    updated_at: now,
  };
}
