// `ringmaster targets get`: the version a device on a policy running an environment should get
// (docs/contract.md §8.4), asked of a running server through its API, as a device would.
import type { VersionTarget } from '../version-targets/model.ts';
import type { Parsed } from './commands.ts';
import { call, connect, extensionsBase, print } from './groups.ts';
import { table } from './table.ts';
import { UsageError } from './usage.ts';

interface Answer {
  result: VersionTarget | null;
  messages: { code: number; message: string }[];
}

export async function get({ values }: Parsed): Promise<void> {
  const policy = values.policy as string | undefined;
  const environment = values.env as string | undefined;
  if (policy === undefined || environment === undefined) throw new UsageError('give --policy and --env');
  const { client, accountId, baseURL } = connect(values);
  const url = `${extensionsBase(baseURL)}/accounts/${accountId}/version-targets`;
  const answer = await call(baseURL, () =>
    client.get<Answer>(url, { query: { policy_id: policy, target_environment: environment } }),
  );
  print(values.json, answer.result, (target) => render(target, answer.messages));
}

function render(target: VersionTarget | null, messages: Answer['messages']): string {
  if (target === null) return `no version: ${messages.map((m) => m.message).join('; ')}\n`;
  const { deployment_group: group } = target;
  return table([
    ['POLICY', 'ENVIRONMENT', 'VERSION', 'GROUP', 'GROUP ID'],
    [target.policy_id, target.target_environment, target.version, group.name, group.id],
  ]);
}
