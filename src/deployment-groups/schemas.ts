// What only the HTTP routes need around the model (model.ts): path parameters and the delete result.
import { Type } from '@sinclair/typebox';
import { AccountId } from '../accounts.ts';

// The auth hook answers 404 7003 to a malformed account ID before validation runs, so this pattern only
// documents it (and the parameter validator knows no `errorMessage`).
const AccountIdParameter = Type.String({ pattern: AccountId.pattern, description: AccountId.description });
// Not checked: a group ID that is not a UUID names no group, which is a 404, not a 400 (docs/contract.md §5).
const GroupIdParameter = Type.String({
  description: 'The deployment group ID (a UUID); anything else is not found.',
});

export const AccountParams = Type.Object({ account_id: AccountIdParameter });
export const GroupParams = Type.Object({ account_id: AccountIdParameter, group_id: GroupIdParameter });

export const DeletedSchema = Type.Object({ id: Type.String() });
