import { now } from '../clock.ts';
import type { Credential } from '../tokens/model.ts';
import { GRANT_OPTIONS, parseGrant, withTokens } from './credentials.ts';
import { table } from './table.ts';
import { parse, UsageError } from './usage.ts';

export async function tokensCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  switch (action) {
    case 'create':
      return create(rest);
    case 'list':
      parse(rest, {});
      return list();
    case 'revoke':
      return revoke(rest);
    default:
      throw new UsageError('usage: ringmaster tokens create|list|revoke');
  }
}

async function create(args: string[]): Promise<void> {
  const grant = parseGrant(parse(args, GRANT_OPTIONS).values);
  const { credential, secret } = await withTokens((tokens) => tokens.createToken(grant));
  process.stderr.write(
    `Created token ${credential.id} (${describeGrant(credential)}). The secret follows; it is shown only once.\n`,
  );
  process.stdout.write(`${secret}\n`);
}

async function list(): Promise<void> {
  const credentials = await withTokens((tokens) => tokens.list());
  const header = ['ID', 'KIND', 'NAME', 'PERMISSION', 'ACCOUNTS', 'CREATED', 'EXPIRES', 'STATUS'];
  const rows = credentials.map((c) => [
    c.id,
    c.kind === 'key' ? `key (${c.email})` : 'token',
    c.name ?? '-',
    c.permission,
    c.accounts === null ? 'all' : c.accounts.join(','),
    c.created_at.slice(0, 19),
    c.expires_at?.slice(0, 19) ?? 'never',
    status(c),
  ]);
  process.stdout.write(table([header, ...rows]));
}

async function revoke(args: string[]): Promise<void> {
  const { positionals } = parse(args, {}, true);
  if (positionals.length !== 1) throw new UsageError('usage: ringmaster tokens revoke <token-id>');
  const id = positionals[0] as string;
  const revoked = await withTokens((tokens) => tokens.revoke(id));
  if (!revoked) throw new Error(`no active token or key with id ${id}`);
  process.stderr.write(`Revoked ${id}; it is refused from the next request on.\n`);
}

export function describeGrant(c: Credential): string {
  const accounts = c.accounts === null ? 'all accounts' : `accounts ${c.accounts.join(', ')}`;
  const expiry = c.expires_at ? `, expires ${c.expires_at.slice(0, 19)}Z` : '';
  return `Zero Trust ${c.permission === 'write' ? 'Write' : 'Read'}, ${accounts}${expiry}`;
}

function status(c: Credential): string {
  if (c.revoked_at) return 'revoked';
  if (c.expires_at && c.expires_at <= now()) return 'expired';
  return 'active';
}
