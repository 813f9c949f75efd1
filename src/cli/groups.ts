// `ringmaster groups …`: deployment groups on a running server, through its public API, with the official
// `cloudflare` SDK as the HTTP client — exactly what any other client of the server would do.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import Cloudflare from 'cloudflare';
import type { DeploymentGroup } from 'cloudflare/resources/zero-trust/devices/deployment-groups';
import { DEFAULT_BASE_URL, loadClientSettings } from '../config.ts';
import { updateBodySchema } from '../deployment-groups/model.ts';
import { EXTENSIONS_PREFIX } from '../http/envelope.ts';
import { toViolations, validatorCompiler } from '../http/validation.ts';
import type { Parsed, Values } from './commands.ts';
import { table } from './table.ts';
import { withZone } from './tokens.ts';
import { CliError, UsageError } from './usage.ts';

/** Exit codes: 2 is a usage error (usage.ts); these tell API refusals from unreachable servers. */
export const EXIT_API_ERROR = 3;
export const EXIT_CONNECTION_FAILED = 4;

export async function list({ values }: Parsed): Promise<void> {
  const { client, accountId, baseURL } = connect(values);
  const perPage = positiveInteger((values['per-page'] as string | undefined) ?? '50', '--per-page');
  const page = values.page === undefined ? undefined : positiveInteger(values.page as string, '--page');
  const groups: DeploymentGroup[] = [];
  await call(baseURL, async () => {
    const query = { account_id: accountId, per_page: perPage };
    if (page !== undefined) {
      groups.push(...(await client.zeroTrust.devices.deploymentGroups.list({ ...query, page })).result);
      return;
    }
    for await (const group of client.zeroTrust.devices.deploymentGroups.list(query)) groups.push(group);
  });
  print(values.json, groups, listTable);
}

export async function get({ values, positionals }: Parsed): Promise<void> {
  const { client, accountId, baseURL } = connect(values);
  const id = positionals[0] as string;
  const group = await call(baseURL, () =>
    client.zeroTrust.devices.deploymentGroups.get(id, { account_id: accountId }),
  );
  print(values.json, group, detailTable);
}

export async function create({ values }: Parsed): Promise<void> {
  const connection = connect(values);
  const { client, accountId, baseURL } = connection;
  const body = groupFields(values);
  if (body.name === undefined || body.version_config === undefined) {
    throw new UsageError('create needs --name and at least one --version <env>=<version> (or --from-file)');
  }
  if (values['dry-run']) return dryRun(connection, values, { method: 'POST', body });
  const group = await call(baseURL, () =>
    client.zeroTrust.devices.deploymentGroups.create({ account_id: accountId, ...body } as never),
  );
  print(values.json, group, detailTable);
}

export async function edit({ values, positionals }: Parsed): Promise<void> {
  const connection = connect(values);
  const { client, accountId, baseURL } = connection;
  const body = groupFields(values);
  const id = positionals[0] as string;
  // A list is replaced whole: send it only on top of the state read, so that a change someone made
  // meanwhile is refused (412) instead of overwritten (docs/contract.md §8.1).
  const replacesList = body.version_config !== undefined || body.policy_ids !== undefined;
  const ifMatch = replacesList ? await readTag(client, baseURL, accountId, id) : undefined;
  if (values['dry-run']) return dryRun(connection, values, { method: 'PATCH', group_id: id, body }, ifMatch);
  const group = await call(baseURL, () =>
    client.zeroTrust.devices.deploymentGroups.edit(id, { account_id: accountId, ...body } as never, {
      headers: ifMatch === undefined ? {} : { 'If-Match': ifMatch },
    }),
  );
  print(values.json, group, detailTable);
}

export async function history({ values, positionals }: Parsed): Promise<void> {
  const { client, accountId, baseURL } = connect(values);
  const url = `${extensionsBase(baseURL)}/accounts/${accountId}/deployment-groups/${positionals[0]}/history`;
  const entries: HistoryEntry[] = [];
  await call(baseURL, async () => {
    for (let page = 1; ; page++) {
      const answer = await client.get<{ result: HistoryEntry[] }>(url, { query: { page, per_page: 100 } });
      if (answer.result.length === 0) return;
      entries.push(...answer.result);
    }
  });
  print(values.json, entries, historyTable);
}

export async function revert({ values, positionals }: Parsed): Promise<void> {
  if (values.revision === undefined) throw new UsageError('revert needs --revision <n>');
  const revision = positiveInteger(values.revision as string, '--revision');
  const { client, accountId, baseURL } = connect(values);
  const url = `${extensionsBase(baseURL)}/accounts/${accountId}/deployment-groups/${positionals[0]}/revert`;
  const answer = await call(baseURL, () =>
    client.post<{ result: DeploymentGroup }>(url, { body: { revision } }),
  );
  print(values.json, answer.result, detailTable);
}

export async function remove({ values, positionals }: Parsed): Promise<void> {
  const connection = connect(values);
  const { client, accountId, baseURL } = connection;
  const id = positionals[0] as string;
  // A dry run deletes nothing, so there is nothing to confirm.
  if (values['dry-run']) return dryRun(connection, values, { method: 'DELETE', group_id: id });
  const groups = client.zeroTrust.devices.deploymentGroups;
  if (!values.yes) {
    if (!process.stdin.isTTY)
      throw new UsageError('not a terminal: pass --yes to delete without confirmation');
    // The name is what a person recognises; an id alone invites deleting the wrong ring.
    const group = await call(baseURL, () => groups.get(id, { account_id: accountId }));
    await confirm(`Delete deployment group ${JSON.stringify(group.name)} (${id})?`);
  }
  await call(baseURL, () => groups.delete(id, { account_id: accountId }));
  if (values.json) process.stdout.write(`${JSON.stringify({ id })}\n`);
  else process.stderr.write(`Deleted deployment group ${id}.\n`);
}

/** What `--dry-run` sends to the preview route: the request the command would have made. */
interface PreviewRequest {
  method: 'POST' | 'PATCH' | 'DELETE';
  group_id?: string;
  body?: GroupFields;
}

interface PreviewAnswer {
  deployment_group: DeploymentGroup | null;
  changes: { field: string; before: unknown; after: unknown }[];
}

const WOULD = { POST: 'create', PATCH: 'update', DELETE: 'delete' } as const;

/**
 * `--dry-run`: the request the command would send, sent to …/deployment-groups/preview instead (with the
 * same If-Match), which answers what it would answer and writes nothing (docs/contract.md §8.3). A refusal
 * is printed and exits as the real command's would.
 */
async function dryRun(
  { client, accountId, baseURL }: Connection,
  values: Values,
  request: PreviewRequest,
  ifMatch?: string,
): Promise<void> {
  const url = `${extensionsBase(baseURL)}/accounts/${accountId}/deployment-groups/preview`;
  const answer = await call(baseURL, () =>
    client.post<{ result: PreviewAnswer }>(url, {
      body: request,
      headers: ifMatch === undefined ? {} : { 'If-Match': ifMatch },
    }),
  );
  print(values.json, answer.result, (result) => previewTable(request, result));
  process.stderr.write('Dry run: nothing was written.\n');
}

function previewTable(request: PreviewRequest, { deployment_group: group, changes }: PreviewAnswer): string {
  const subject =
    request.group_id === undefined ? 'a deployment group' : `deployment group ${request.group_id}`;
  const lines = [`Would ${WOULD[request.method]} ${subject}.`, ''];
  if (changes.length === 0) lines.push('No changes.\n');
  else {
    const rows = changes.map(({ field, before, after }) => [
      field,
      shown(field, before),
      shown(field, after),
    ]);
    lines.push(table([['FIELD', 'BEFORE', 'AFTER'], ...rows]));
  }
  // A created group's id and times are the preview's own: the real create assigns others.
  if (group && request.method === 'POST') lines.push('Resulting group (id and times assigned on create):');
  else if (group) lines.push('Resulting group:');
  if (group) lines.push(detailTable(group));
  return lines.join('\n');
}

/** A field's value in a change, as the detail table writes it; `(none)` for null. */
function shown(field: string, value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (field === 'version_config') return versions({ version_config: value } as DeploymentGroup);
  if (Array.isArray(value)) return value.join(', ') || '[]';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

type Connection = ReturnType<typeof connect>;

/** The SDK client from flags, or the SDK's own environment variables. */
function connect(values: Values) {
  const settings = loadClientSettings();
  const baseURL = (values['base-url'] as string | undefined) ?? settings.baseUrl ?? DEFAULT_BASE_URL;
  const apiToken = (values.token as string | undefined) ?? settings.apiToken;
  const accountId = (values.account as string | undefined) ?? settings.accountId;
  if (!apiToken) throw new UsageError('give --token or set CLOUDFLARE_API_TOKEN');
  if (!accountId) throw new UsageError('give --account or set CLOUDFLARE_ACCOUNT_ID');
  // Ringmaster-Client marks the audit entries of this tool's changes as made through the CLI.
  const defaultHeaders = { 'Ringmaster-Client': 'cli' };
  return { client: new Cloudflare({ apiToken, baseURL, maxRetries: 1, defaultHeaders }), accountId, baseURL };
}

/** Ringmaster's own routes (/ringmaster/v1) on the server that the base URL (…/client/v4) names. */
function extensionsBase(baseURL: string): string {
  return baseURL.replace(/\/client\/v4\/?$/, EXTENSIONS_PREFIX);
}

/** The group's current ETag, read with the group. */
async function readTag(client: Cloudflare, baseURL: string, accountId: string, id: string) {
  const { response } = await call(baseURL, () =>
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
  const file = values['from-file'] as string | undefined;
  const body: GroupFields = file === undefined ? {} : readGroupFile(file);
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

/**
 * The group fields in a --from-file, checked with the API's own validator and model (the update body, in
 * which every field is optional: flags may add the rest), so an unknown field or a JSON array is refused
 * naming the field as the API would. Which environments exist is the server's to say.
 */
function readGroupFile(file: string): GroupFields {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--from-file ${file}: ${(error as Error).message}`);
  }
  const validate = validatorCompiler()({
    schema: updateBodySchema(),
    method: 'CLI',
    url: '--from-file',
    httpPart: 'body',
  }) as ((value: unknown) => boolean) & { errors?: Parameters<typeof toViolations>[0] | null };
  if (validate(body)) return body as GroupFields;
  const problems = toViolations(validate.errors ?? [], 'body').map(
    ({ pointer, message }) => `${pointer || '/'}: ${message}`,
  );
  throw new UsageError(`--from-file ${file} is not a valid group: ${problems.join('; ')}`);
}

/** Runs an SDK call, turning its failures into the API's own messages and distinct exit codes. */
async function call<T>(baseURL: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof Cloudflare.APIConnectionError) {
      throw new CliError(
        `cannot reach the server at ${baseURL}: ${rootCause(error)}`,
        EXIT_CONNECTION_FAILED,
      );
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

/** The innermost cause of a connection error, e.g. `connect ECONNREFUSED 127.0.0.1:9`. */
function rootCause(error: Error): string {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return (cause as Error).message;
}

async function confirm(question: string): Promise<void> {
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
    ['ID', 'NAME', 'VERSIONS', 'POLICIES', 'UPDATED (UTC)'],
    ...groups.map((g) => [
      g.id,
      g.name,
      versions(g),
      String(g.policy_ids?.length ?? 0),
      withZone(g.updated_at),
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
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) {
    throw new UsageError(`${flag} must be a positive whole number, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}
