// What `tokens create` and `keys create` share: account grants, permission, expiry, and opening the store.

import { ACCOUNT_ID } from '../accounts.ts';
import { formatTimestamp, nowNanos } from '../clock.ts';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import type { Permission } from '../tokens/model.ts';
import { TokenService } from '../tokens/service.ts';
import { UsageError } from './usage.ts';

export interface GrantValues {
  account?: string[];
  'all-accounts'?: boolean;
  permission?: string;
  name?: string;
  'expires-in'?: string;
}

/**
 * `allowed`: the permissions this kind of credential may carry (a legacy key is for people and scripts,
 * so only a token may be limited to the version targets).
 */
export function parseGrant(
  values: GrantValues,
  defaultPermission?: Permission,
  allowed: readonly Permission[] = ['read', 'write'],
) {
  const accounts = values.account ?? [];
  const allAccounts = values['all-accounts'] === true;
  const someAccounts = accounts.length > 0;
  if (allAccounts === someAccounts) {
    throw new UsageError('give either --account <id> (one or more) or --all-accounts');
  }
  for (const account of accounts) {
    if (!ACCOUNT_ID.test(account))
      throw new UsageError(`--account must be 32 lowercase hex digits: ${account}`);
  }
  const permission = values.permission ?? defaultPermission;
  if (!allowed.includes(permission as Permission))
    throw new UsageError(`--permission must be ${allowed.join(', ').replace(/, (\w+)$/, ' or $1')}`);
  return {
    accounts: allAccounts ? null : accounts,
    permission: permission as Permission,
    name: values.name ?? null,
    expires_at: values['expires-in'] === undefined ? null : expiresAt(values['expires-in']),
  };
}

const UNIT_NANOS = { s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n };

function expiresAt(duration: string): string {
  const match = /^([1-9]\d{0,5})([smhd])$/.exec(duration);
  if (!match) {
    throw new UsageError(
      `--expires-in must be a whole number (1–999999) of s, m, h or d, e.g. 45m, 12h, 30d; got ${JSON.stringify(duration)}`,
    );
  }
  return formatTimestamp(
    nowNanos() + BigInt(match[1] as string) * UNIT_NANOS[match[2] as keyof typeof UNIT_NANOS],
  );
}

/** Runs `work` with a TokenService on the configured (and migrated) store, then closes it. */
export async function withTokens<T>(work: (tokens: TokenService, store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(loadConfig().database);
  try {
    return await work(new TokenService(store), store);
  } finally {
    await store.close();
  }
}
