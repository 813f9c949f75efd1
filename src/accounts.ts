// Account IDs (docs/contract.md §5, §6): Cloudflare's are 32 lowercase hex digits; anything else cannot
// name an account. The auth hook, the credential model, the backup format and the CLI all check this one.
import { Type } from '@sinclair/typebox';

export const ACCOUNT_ID = /^[0-9a-f]{32}$/;

export const AccountId = Type.String({
  pattern: ACCOUNT_ID.source,
  errorMessage: 'must be 32 lowercase hex digits',
  description: 'The account ID (32 hex digits).',
});
