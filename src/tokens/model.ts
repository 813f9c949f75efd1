// Credentials: API tokens and legacy API keys (docs/contract.md §6, docs/decisions/0004-credentials.md).
// Field names are snake_case, as in the database and the backup format, so the same object is stored,
// exported and imported without a mapping. Only the SHA-256 of a secret is ever stored.
import { type Static, Type } from '@sinclair/typebox';
import { AccountId } from '../accounts.ts';
import { MAX_FIELDS, Nullable, StringEnum, Timestamp } from '../schema.ts';

/** Accounts one token or key may list; more is what `accounts: null` (every account) is for. */
export const MAX_GRANTED_ACCOUNTS = 1000;

export const Permission = StringEnum(['read', 'write', 'targets'], {
  description:
    'Zero Trust Read (list, get), Zero Trust Write (everything), or Version Targets Read (only the version targets, docs/contract.md §8.4).',
});
export type Permission = Static<typeof Permission>;

export const CredentialKind = StringEnum(['token', 'key']);
export type CredentialKind = Static<typeof CredentialKind>;

export const Credential = Type.Object(
  {
    /** 32 hex digits, shown by `tokens list` and returned by /user/tokens/verify. */
    id: Type.String({ pattern: '^[0-9a-f]{32}$', errorMessage: 'must be 32 lowercase hex digits' }),
    kind: CredentialKind,
    name: Nullable(Type.String()),
    /** The legacy key's X-Auth-Email, stored in lowercase; null for tokens. */
    email: Nullable(
      Type.String({
        pattern: '^[^\\sA-Z@]+@[^\\sA-Z@]+$',
        errorMessage: 'must be an email address in lowercase',
      }),
    ),
    secret_hash: Type.String({
      pattern: '^[0-9a-f]{64}$',
      errorMessage: 'must be 64 lowercase hex digits (the SHA-256 of the secret)',
    }),
    permission: Permission,
    /** Granted account IDs; null means every account. */
    accounts: Nullable(Type.Array(AccountId, { maxItems: MAX_GRANTED_ACCOUNTS })),
    created_at: Timestamp,
    expires_at: Nullable(Timestamp),
    revoked_at: Nullable(Timestamp),
  },
  { additionalProperties: false, maxProperties: MAX_FIELDS },
);
export type Credential = Static<typeof Credential>;
