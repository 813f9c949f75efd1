// Credentials: creating, verifying, listing and revoking API tokens and legacy API keys.
// Used by the auth hook (verify) and by the CLI (create, list, revoke).
import { COMMAND_LINE } from '../audit/context.ts';
import { now } from '../clock.ts';
import type { Audit, Store } from '../store/store.ts';
import { type Credential, type CredentialKind, MAX_GRANTED_ACCOUNTS, type Permission } from './model.ts';
import {
  constantTimeEqual,
  generateCredentialId,
  generateSecret,
  hashSecret,
  KEY_PREFIX,
  TOKEN_PREFIX,
} from './secrets.ts';

/** What a new credential grants (`accounts: null` is every account); the rest is generated. */
export type NewCredential = Pick<Credential, 'accounts' | 'permission'> &
  Partial<Pick<Credential, 'name' | 'expires_at'>>;

export interface CreatedCredential {
  credential: Credential;
  /** The secret itself: shown once, never stored. */
  secret: string;
}

export type PresentedCredential =
  | { kind: 'token'; secret: string }
  | { kind: 'key'; email: string; secret: string };

export type Verification = { ok: true; credential: Credential } | { ok: false };

/** Credentials are created and revoked by an operator at the command line, never over HTTP. */
const AUDIT: Audit = { context: COMMAND_LINE };

export class TokenService {
  constructor(private readonly store: Store) {}

  async createToken(options: NewCredential): Promise<CreatedCredential> {
    const created = build('token', options);
    await this.store.insertCredential(created.credential, AUDIT);
    return created;
  }

  async createKey(options: NewCredential & { email: string }): Promise<CreatedCredential> {
    const created = build('key', options);
    await this.store.insertCredential(created.credential, AUDIT);
    return created;
  }

  /** The first start's operator token (all accounts, write), or undefined if any credential exists. */
  async createOperatorTokenIfNone(): Promise<CreatedCredential | undefined> {
    const created = build('token', { accounts: null, permission: 'write', name: 'operator' });
    return (await this.store.insertFirstCredential(created.credential, AUDIT)) ? created : undefined;
  }

  /** Looks the secret up by its hash; unknown, expired, revoked and wrong-kind credentials all fail alike. */
  async verify(presented: PresentedCredential): Promise<Verification> {
    const credential = await this.store.findCredentialBySecretHash(hashSecret(presented.secret));
    if (!credential || credential.kind !== presented.kind) return { ok: false };
    if (
      presented.kind === 'key' &&
      !constantTimeEqual(credential.email ?? '', presented.email.toLowerCase())
    ) {
      return { ok: false };
    }
    if (credential.revoked_at !== null) return { ok: false };
    if (credential.expires_at !== null && credential.expires_at <= now()) return { ok: false };
    return { ok: true, credential };
  }

  list(): Promise<Credential[]> {
    return this.store.listCredentials();
  }

  revoke(id: string): Promise<boolean> {
    return this.store.revokeCredential(id, now(), AUDIT);
  }
}

function build(kind: CredentialKind, options: NewCredential & { email?: string }): CreatedCredential {
  if (options.accounts !== null && options.accounts.length > MAX_GRANTED_ACCOUNTS) {
    throw new Error(
      `a token or key grants at most ${MAX_GRANTED_ACCOUNTS} accounts; grant every account instead`,
    );
  }
  const secret = generateSecret(kind === 'token' ? TOKEN_PREFIX : KEY_PREFIX);
  return {
    secret,
    credential: {
      id: generateCredentialId(),
      kind,
      name: options.name ?? null,
      email: options.email?.toLowerCase() ?? null,
      secret_hash: hashSecret(secret),
      permission: options.permission,
      accounts: options.accounts,
      created_at: now(),
      expires_at: options.expires_at ?? null,
      revoked_at: null,
    },
  };
}

/**
 * What each permission includes (docs/contract.md §6): Version Targets Read reads only the version
 * targets; Zero Trust Read reads them and everything else; Zero Trust Write also writes.
 */
const PERMISSION_RANK: Record<Permission, number> = { targets: 0, read: 1, write: 2 };

/** Whether the credential may act on `accountId` with `permission`. Write implies read implies targets. */
export function grants(credential: Credential, accountId: string, permission: Permission): boolean {
  const accountGranted = credential.accounts === null || credential.accounts.includes(accountId);
  return accountGranted && PERMISSION_RANK[credential.permission] >= PERMISSION_RANK[permission];
}

/** Whether the credential may write on every account, present and future (what the operator token has). */
export function grantsEveryAccount(credential: Credential): boolean {
  return credential.accounts === null && credential.permission === 'write';
}
