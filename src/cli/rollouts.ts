// `ringmaster rollouts …`: rollouts on a running server (docs/contract.md §8.5), through its API, with the
// official `cloudflare` SDK's client as the HTTP client, as `groups` does.
import type { Rollout } from '../rollouts/model.ts';
import type { Parsed } from './commands.ts';
import { call, connect, extensionsBase, parseVersions, positiveInteger, print, versions } from './groups.ts';
import { table } from './table.ts';
import { withZone } from './tokens.ts';
import { UsageError } from './usage.ts';

/** The rollouts collection of the account the flags name. */
function rollouts(parsed: Parsed) {
  const { client, accountId, baseURL } = connect(parsed.values);
  const url = `${extensionsBase(baseURL)}/accounts/${accountId}/rollouts`;
  return { client, baseURL, url };
}

export async function list(parsed: Parsed): Promise<void> {
  const { client, baseURL, url } = rollouts(parsed);
  const state = parsed.values.state as string | undefined;
  const page =
    parsed.values.page === undefined ? undefined : positiveInteger(parsed.values.page as string, '--page');
  const found: Rollout[] = [];
  await call(baseURL, async () => {
    for (let next = page ?? 1; ; next++) {
      const query = { page: next, per_page: 100, ...(state === undefined ? {} : { state }) };
      const answer = await client.get<{ result: Rollout[] }>(url, { query });
      found.push(...answer.result);
      if (answer.result.length === 0 || page !== undefined) return;
    }
  });
  print(parsed.values.json, found, listTable);
}

export async function get(parsed: Parsed): Promise<void> {
  const { client, baseURL, url } = rollouts(parsed);
  const answer = await call(baseURL, () =>
    client.get<{ result: Rollout }>(`${url}/${parsed.positionals[0]}`),
  );
  print(parsed.values.json, answer.result, detailTable);
}

export async function create(parsed: Parsed): Promise<void> {
  const { values } = parsed;
  const flags = values.version as string[] | undefined;
  const stages = values.stage as string[] | undefined;
  if (values.name === undefined || !flags || !stages) {
    throw new UsageError(
      'create needs --name, at least one --version <env>=<version> and one --stage <group_id>',
    );
  }
  const body = {
    name: values.name,
    version_config: parseVersions(flags),
    stages: stages.map((stage) => {
      const [id, wait] = stage.split('=', 2);
      return wait === undefined ? { deployment_group_id: id } : { deployment_group_id: id, wait };
    }),
    ...(values['start-at'] === undefined ? {} : { start_at: values['start-at'] }),
  };
  const { client, baseURL, url } = rollouts(parsed);
  const answer = await call(baseURL, () => client.post<{ result: Rollout }>(url, { body }));
  print(values.json, answer.result, detailTable);
}

/** pause, resume, abort, rollback: `POST …/rollouts/<id>/<action>`. */
function action(name: 'pause' | 'resume' | 'abort' | 'rollback') {
  return async (parsed: Parsed): Promise<void> => {
    const { client, baseURL, url } = rollouts(parsed);
    const answer = await call(baseURL, () =>
      client.post<{ result: Rollout }>(`${url}/${parsed.positionals[0]}/${name}`),
    );
    print(parsed.values.json, answer.result, detailTable);
  };
}

export const pause = action('pause');
export const resume = action('resume');
export const abort = action('abort');
export const rollback = action('rollback');

function progress(rollout: Rollout): string {
  const applied = rollout.stages.filter((stage) => stage.state === 'applied').length;
  return `${applied}/${rollout.stages.length}`;
}

function listTable(found: Rollout[]): string {
  if (found.length === 0) return 'No rollouts.\n';
  return table([
    ['ID', 'NAME', 'STATE', 'APPLIED', 'VERSIONS', 'CREATED (UTC)'],
    ...found.map((r) => [r.id, r.name, r.state, progress(r), versions(r), withZone(r.created_at)]),
  ]);
}

function detailTable(rollout: Rollout): string {
  const head = table([
    ['id', rollout.id],
    ['name', rollout.name],
    ['state', rollout.state + (rollout.state_reason ? ` (${rollout.state_reason})` : '')],
    ['versions', versions(rollout)],
    ['start_at', withZone(rollout.start_at)],
    ['created_by', rollout.created_by.name ?? rollout.created_by.email ?? rollout.created_by.id ?? '-'],
  ]);
  const stages = table([
    ['STAGE', 'DEPLOYMENT GROUP', 'WAIT', 'STATE', 'DUE (UTC)', 'APPLIED (UTC)'],
    ...rollout.stages.map((stage, i) => [
      String(i + 1),
      stage.deployment_group_id,
      stage.wait,
      stage.state,
      stage.due_at ? withZone(stage.due_at) : '-',
      stage.applied_at ? withZone(stage.applied_at) : '-',
    ]),
  ]);
  return `${head}\n${stages}`;
}
