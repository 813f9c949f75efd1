import { now } from '../clock.ts';
import type { Credential } from '../tokens/model.ts';
import type { Parsed } from './commands.ts';
import { type GrantValues, parseGrant, withTokens } from './credentials.ts';
import { table } from './table.ts';

export async function create({ values }: Parsed): Promise<void> {
  const grant = parseGrant(values as GrantValues, undefined, ['read', 'write', 'targets']);
  const { credential, secret } = await withTokens((tokens) => tokens.createToken(grant));
  process.stderr.write(
    `Created token ${credential.id} (${describeGrant(credential)}). The secret follows; it is shown only once.\n`,
  );
  process.stdout.write(`${secret}\n`);
}

export async function list({ values }: Parsed): Promise<void> {
  const credentials = await withTokens((tokens) => tokens.list());
  if (values.json) {
    // The model's field names, without the secret's hash, plus the status a person would read.
    const rows = credentials.map(({ secret_hash: _hash, ...c }) => ({ ...c, status: status(c) }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const header = ['ID', 'KIND', 'NAME', 'PERMISSION', 'ACCOUNTS', 'CREATED (UTC)', 'EXPIRES (UTC)', 'STATUS'];
  const rows = credentials.map((c) => [
    c.id,
    c.kind === 'key' ? `key (${c.email})` : 'token',
    c.name ?? '-',
    c.permission,
    c.accounts === null ? 'all' : c.accounts.join(','),
    withZone(c.created_at),
    c.expires_at ? withZone(c.expires_at) : 'never',
    status(c),
  ]);
  process.stdout.write(table([header, ...rows]));
}

export async function revoke({ positionals }: Parsed): Promise<void> {
  const id = positionals[0] as string;
  const revoked = await withTokens((tokens) => tokens.revoke(id));
  if (!revoked) throw new Error(`no active token or key with id ${id}`);
  process.stderr.write(`Revoked ${id}; it is refused from the next request on.\n`);
}

/** A stored timestamp (UTC) to the second, with its zone: `2026-12-06T17:33:41Z`. */
export function withZone(timestamp: string): string {
  return `${timestamp.slice(0, 19)}Z`;
}

/** Cloudflare's names for the two it has; ours for the third (docs/contract.md §6). */
const PERMISSION_NAMES: Record<Credential['permission'], string> = {
  read: 'Zero Trust Read',
  write: 'Zero Trust Write',
  targets: 'Version Targets Read',
};

export function describeGrant(c: Credential): string {
  const accounts = c.accounts === null ? 'all accounts' : `accounts ${c.accounts.join(', ')}`;
  const expiry = c.expires_at ? `, expires ${withZone(c.expires_at)}` : '';
  return `${PERMISSION_NAMES[c.permission]}, ${accounts}${expiry}`;
}

function status(c: Pick<Credential, 'revoked_at' | 'expires_at'>): string {
  if (c.revoked_at) return 'revoked';
  if (c.expires_at && c.expires_at <= now()) return 'expired';
  return 'active';
}
