// What only the HTTP routes need around the model (model.ts): path parameters and the delete result.
import { type Static, Type } from '@sinclair/typebox';
import { AccountId } from '../accounts.ts';
import { AuditAction, AuditActorType, AuditInterface } from '../audit/model.ts';
import { MAX_FIELDS, Nullable, StringEnum, Timestamp } from '../schema.ts';
import { DeploymentGroup } from './model.ts';

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

// --- history, revert, preview (docs/contract.md §8.3) ---------------------------------------------------

export const FieldChange = Type.Object({
  field: Type.String({ description: 'A field of the deployment group.' }),
  before: Type.Unknown({ description: 'Its value before the change; null if the group did not exist.' }),
  after: Type.Unknown({ description: 'Its value after the change; null if the group no longer exists.' }),
});
export type FieldChange = Static<typeof FieldChange>;

export const HistoryActor = Type.Object({
  type: AuditActorType,
  id: Nullable(Type.String({ description: 'The credential ID.' })),
  name: Nullable(Type.String({ description: 'The credential name.' })),
  email: Nullable(Type.String({ description: 'The legacy API key email.' })),
  ip: Nullable(Type.String({ description: 'The client address, as TRUST_PROXY allows.' })),
  interface: AuditInterface,
});

export const HistoryEntry = Type.Object({
  revision: Type.Integer({ description: 'The revision this change made (a delete makes one too).' }),
  audit_log_id: Type.String({ description: 'The audit log entry of this change.' }),
  at: Timestamp,
  action: AuditAction,
  actor: HistoryActor,
  deployment_group: Nullable(DeploymentGroup),
  changes: Type.Array(FieldChange),
});
export type HistoryEntry = Static<typeof HistoryEntry>;

export const RevertBody = Type.Object(
  { revision: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1, description: 'The revision to return to.' }) },
  { additionalProperties: false, maxProperties: MAX_FIELDS },
);
export type RevertBody = Static<typeof RevertBody>;

export const PreviewBody = Type.Object(
  {
    method: StringEnum(['POST', 'PATCH', 'DELETE'], { description: 'The request to preview.' }),
    group_id: Type.Optional(Type.String({ description: 'The group a PATCH or DELETE is about.' })),
    body: Type.Optional(
      Type.Unknown({ description: 'The body of a POST or PATCH, checked as that request checks it.' }),
    ),
  },
  { additionalProperties: false, maxProperties: MAX_FIELDS },
);
export type PreviewBody = Static<typeof PreviewBody>;

export const PreviewResult = Type.Object({
  deployment_group: Nullable(DeploymentGroup),
  changes: Type.Array(FieldChange),
});
export type PreviewResult = Static<typeof PreviewResult>;
