// The rollout and version-target routes (docs/contract.md §8.4, §8.5), through the dashboard's one API client.
import type { Api, Outcome } from './api.ts';
import type { Rollout, RolloutCreate, RolloutState, VersionTarget } from './rollout-types.ts';
import { ACTIVE_STATES, type RolloutAction } from './rollouts-logic.ts';
import { EXTENSIONS_BASE, type Group, MAX_PER_PAGE } from './wire.ts';

function base(api: Api, what: string): string {
  return `${EXTENSIONS_BASE}/accounts/${encodeURIComponent(api.session.account)}/${what}`;
}

/** The account's newest rollouts (the API's largest page), all or those in one state. */
export function listRollouts(api: Api, state?: RolloutState): Promise<Outcome<Rollout[]>> {
  const query = new URLSearchParams({ per_page: String(MAX_PER_PAGE), ...(state ? { state } : {}) });
  return api.request('GET', `${base(api, 'rollouts')}?${query}`);
}

/** The rollouts that have not finished (scheduled, running, paused); none when they cannot be loaded. */
export async function unfinishedRollouts(api: Api): Promise<Rollout[]> {
  const lists = await Promise.all(ACTIVE_STATES.map((state) => listRollouts(api, state)));
  return lists.flatMap((list) => (list.ok ? list.result : []));
}

export function createRollout(api: Api, body: RolloutCreate): Promise<Outcome<Rollout>> {
  return api.request('POST', base(api, 'rollouts'), body);
}

export function rolloutAction(api: Api, id: string, action: RolloutAction): Promise<Outcome<Rollout>> {
  return api.request('POST', `${base(api, 'rollouts')}/${encodeURIComponent(id)}/${action}`);
}

/** `result` is null when the policy gets no version; the message then says why. */
export function versionTarget(
  api: Api,
  policyId: string,
  environment: string,
): Promise<Outcome<VersionTarget | null>> {
  const query = new URLSearchParams({ policy_id: policyId, target_environment: environment });
  return api.request('GET', `${base(api, 'version-targets')}?${query}`);
}

/** Every ring of the account in the API's order, page by page as any client would. */
export async function listAllGroups(api: Api): Promise<Outcome<Group[]>> {
  const all: Group[] = [];
  for (let page = 1; ; page++) {
    const outcome = await api.listGroups(page, MAX_PER_PAGE);
    if (!outcome.ok) return outcome;
    all.push(...outcome.result);
    if (outcome.result.length < MAX_PER_PAGE) return { ...outcome, result: all };
  }
}
