// `ringmaster groups …`: deployment groups on a running server, through its public API, with the official
// `cloudflare` SDK as the HTTP client — exactly what any other client of the server would do.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import Cloudflare from 'cloudflare';
import type { DeploymentGroup } from 'cloudflare/resources/zero-trust/devices/deployment-groups';
import { API_PREFIX, EXTENSIONS_PREFIX } from '../http/envelope.ts';
import { table } from './table.ts';
import { CliError, parse, UsageError } from './usage.ts';

/** Exit codes: 2 is a usage error (usage.ts); these tell API refusals from unreachable servers. */
export const EXIT_API_ERROR = 3;
export const EXIT_CONNECTION_FAILED = 4;

const DEFAULT_BASE_URL = `http://127.0.0.1:8787${API_PREFIX}`;

const CONNECTION = {
  'base-url': { type: 'string' },
  token: { type: 'string' },
  account: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const FIELDS = {
  name: { type: 'string' },
  version: { type: 'string', multiple: true },
  policy: { type: 'string', multiple: true },
  'clear-policies': { type: 'boolean' },
  'from-file': { type: 'string' },
} as const;

export async function groupsCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  switch (action) {
    case 'list': {
      const { values } = parse(rest, {
        ...CONNECTION,
        page: { type: 'string' },
        'per-page': { type: 'string' },
      });
      const { client, accountId } = connect(values);
      const perPage = positiveInteger(values['per-page'] ?? '50', '--per-page');
      const groups: DeploymentGroup[] = [];
      await call(async () => {
        if (values.page !== undefined) {
          const page = await client.zeroTrust.devices.deploymentGroups.list({
            account_id: accountId,
            page: positiveInteger(values.page as string, '--page'),
            per_page: perPage,
          });
          groups.push(...page.result);
        } else {
          for await (const group of client.zeroTrust.devices.deploymentGroups.list({
            account_id: accountId,
            per_page: perPage,
          })) {
            groups.push(group);
          }
        }
      });
      return print(values.json, groups, listTable);
    }
    case 'get': {
      const { values, id } = withId(rest, CONNECTION, 'get');
      const { client, accountId } = connect(values);
      const group = await call(() =>
        client.zeroTrust.devices.deploymentGroups.get(id, { account_id: accountId }),
      );
      return print(values.json, group, detailTable);
    }
    case 'create': {
      const { values } = parse(rest, { ...CONNECTION, ...FIELDS });
      const { client, accountId } = connect(values);
      const body = groupFields(values);
      if (body.name === undefined || body.version_config === undefined) {
        throw new UsageError(
          'create needs --name and at least one --version <env>=<version> (or --from-file)',
        );
      }
      const group = await call(() =>
        client.zeroTrust.devices.deploymentGroups.create({ account_id: accountId, ...body } as never),
      );
      return print(values.json, group, detailTable);
    }
    case 'edit': {
      const { values, id } = withId(rest, { ...CONNECTION, ...FIELDS }, 'edit');
      const { client, accountId } = connect(values);
      const body = groupFields(values);
      // A list is replaced whole: send it only on top of the state read, so that a change someone made
      // meanwhile is refused (412) instead of overwritten (docs/contract.md §8.1).
      const replacesList = body.version_config !== undefined || body.policy_ids !== undefined;
      const ifMatch = replacesList ? await readTag(client, accountId, id) : undefined;
      const group = await call(() =>
        client.zeroTrust.devices.deploymentGroups.edit(id, { account_id: accountId, ...body } as never, {
          headers: ifMatch === undefined ? {} : { 'If-Match': ifMatch },
        }),
      );
      return print(values.json, group, detailTable);
    }
    case 'history': {
      const { values, id } = withId(rest, CONNECTION, 'history');
      const { client, accountId } = connect(values);
      const entries: HistoryEntry[] = [];
      await call(async () => {
        for (let page = 1; ; page++) {
          const answer = await client.get<{ result: HistoryEntry[] }>(
            `${extensionsBase(client)}/accounts/${accountId}/deployment-groups/${id}/history`,
            { query: { page, per_page: 100 } },
          );
          if (answer.result.length === 0) return;
          entries.push(...answer.result);
        }
      });
      return print(values.json, entries, historyTable);
    }
    case 'revert': {
      const { values, id } = withId(rest, { ...CONNECTION, revision: { type: 'string' } }, 'revert');
      if (values.revision === undefined)
        throw new UsageError('usage: ringmaster groups revert <group-id> --revision <n>');
      const revision = positiveInteger(values.revision as string, '--revision');
      const { client, accountId } = connect(values);
      const answer = await call(() =>
        client.post<{ result: DeploymentGroup }>(
          `${extensionsBase(client)}/accounts/${accountId}/deployment-groups/${id}/revert`,
          { body: { revision } },
        ),
      );
      return print(values.json, answer.result, detailTable);
    }
    case 'delete': {
      const { values, id } = withId(rest, { ...CONNECTION, yes: { type: 'boolean' } }, 'delete');
      const { client, accountId } = connect(values);
      if (!values.yes) await confirm(`Delete deployment group ${id}?`);
      await call(() => client.zeroTrust.devices.deploymentGroups.delete(id, { account_id: accountId }));
      if (values.json) process.stdout.write(`${JSON.stringify({ id })}\n`);
      else process.stderr.write(`Deleted deployment group ${id}.\n`);
      return;
    }
    default:
      throw new UsageError('usage: ringmaster groups list|get|create|edit|delete|history|revert');
  }
}

type Values = Record<string, string | boolean | string[] | undefined>;

function withId<T extends Parameters<typeof parse>[1]>(args: string[], options: T, action: string) {
  const { values, positionals } = parse(args, options, true);
  if (positionals.length !== 1) throw new UsageError(`usage: ringmaster groups ${action} <group-id>`);
  return { values: values as Values, id: positionals[0] as string };
}

/** The SDK client from flags, or the SDK's own environment variables. */
function connect(values: Values) {
  const baseURL =
    (values['base-url'] as string | undefined) ?? process.env.CLOUDFLARE_BASE_URL ?? DEFAULT_BASE_URL;
  const apiToken = (values.token as string | undefined) ?? process.env.CLOUDFLARE_API_TOKEN;
  const accountId = (values.account as string | undefined) ?? process.env.CLOUDFLARE_ACCOUNT_ID;
  if (!apiToken) throw new UsageError('give --token or set CLOUDFLARE_API_TOKEN');
  if (!accountId) throw new UsageError('give --account or set CLOUDFLARE_ACCOUNT_ID');
  // Ringmaster-Client marks the audit entries of this tool's changes as made through the CLI.
  const defaultHeaders = { 'Ringmaster-Client': 'cli' };
  return { client: new Cloudflare({ apiToken, baseURL, maxRetries: 1, defaultHeaders }), accountId };
}

/** Ringmaster's own routes (/ringmaster/v1) on the server the client's base URL (…/client/v4) names. */
function extensionsBase(client: Cloudflare): string {
  return client.baseURL.replace(/\/client\/v4\/?$/, EXTENSIONS_PREFIX);
}

/** The group's current ETag, read with the group. */
async function readTag(client: Cloudflare, accountId: string, id: string): Promise<string | undefined> {
  const { response } = await call(() =>
    client.zeroTrust.devices.deploymentGroups.get(id, { account_id: accountId }).withResponse(),
  );
  return response.headers.get('etag') ?? undefined;
}

interface HistoryEntry {
  revision: number;
  at: string;
  action: string;
  actor: { name: string | null; email: string | null; id: string | null; interface: string };
  changes: { field: string }[];
}

function historyTable(entries: HistoryEntry[]): string {
  if (entries.length === 0) return 'No history.\n';
  return table([
    ['REVISION', 'AT', 'ACTION', 'BY', 'VIA', 'CHANGED'],
    ...entries.map((e) => [
      String(e.revision),
      e.at.slice(0, 19),
      e.action,
      e.actor.email ?? e.actor.name ?? e.actor.id ?? '-',
      e.actor.interface,
      e.changes.map((change) => change.field).join(', '),
    ]),
  ]);
}

interface GroupFields {
  name?: string;
  version_config?: { target_environment: string | null; version: string }[];
  policy_ids?: string[] | null;
}

/** --from-file first, then flags on top of it. `--version default=…` is the entry for every other OS. */
function groupFields(values: Values): GroupFields {
  let body: GroupFields = {};
  const file = values['from-file'] as string | undefined;
  if (file !== undefined) {
    try {
      body = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
    } catch (error) {
      throw new UsageError(`--from-file ${file}: ${(error as Error).message}`);
    }
  }
  if (values.name !== undefined) body.name = values.name as string;
  const versions = values.version as string[] | undefined;
  if (versions) {
    body.version_config = versions.map((entry) => {
      const match = /^([^=]+)=(.+)$/.exec(entry);
      if (!match) throw new UsageError(`--version takes <environment>=<version>, e.g. windows=2026.6.822.0`);
      const environment = match[1] as string;
      return {
        target_environment: environment === 'default' ? null : environment,
        version: match[2] as string,
      };
    });
  }
  const policies = values.policy as string[] | undefined;
  if (values['clear-policies'] && policies)
    throw new UsageError('give --policy or --clear-policies, not both');
  if (values['clear-policies']) body.policy_ids = null;
  if (policies) body.policy_ids = policies;
  return body;
}

/** Runs an SDK call, turning its failures into the API's own messages and distinct exit codes. */
async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof Cloudflare.APIConnectionError) {
      throw new CliError(`cannot reach the server: ${error.message}`, EXIT_CONNECTION_FAILED);
    }
    if (error instanceof Cloudflare.APIError) {
      const lines = (error.errors ?? []).map(
        (e: { code?: number; message?: string; source?: { pointer?: string } }) => {
          const where = e.source?.pointer ? ` (${e.source.pointer})` : '';
          return `  ${e.code}: ${e.message}${where}`;
        },
      );
      throw new CliError(`the server answered ${error.status}:\n${lines.join('\n')}`, EXIT_API_ERROR);
    }
    throw error;
  }
}

async function confirm(question: string): Promise<void> {
  if (!process.stdin.isTTY) throw new UsageError('not a terminal: pass --yes to delete without confirmation');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question(`${question} [y/N] `);
  prompt.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('not deleted', 1);
}

function print<T>(json: unknown, value: T, render: (value: T) => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : render(value));
}

function versions(group: DeploymentGroup): string {
  return group.version_config.map((v) => `${v.target_environment ?? 'default'}=${v.version}`).join(' ');
}

function listTable(groups: DeploymentGroup[]): string {
  if (groups.length === 0) return 'No deployment groups.\n';
  return table([
    ['ID', 'NAME', 'VERSIONS', 'POLICIES', 'UPDATED'],
    ...groups.map((g) => [
      g.id,
      g.name,
      versions(g),
      String(g.policy_ids?.length ?? 0),
      g.updated_at.slice(0, 19),
    ]),
  ]);
}

function detailTable(group: DeploymentGroup): string {
  return table([
    ['id', group.id],
    ['name', group.name],
    ['versions', versions(group)],
    [
      'policy_ids',
      group.policy_ids === null || group.policy_ids === undefined
        ? '(none)'
        : group.policy_ids.join(', ') || '[]',
    ],
    ['created_at', group.created_at],
    ['updated_at', group.updated_at],
  ]);
}

function positiveInteger(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer`);
  return n;
}
