// The audit entry (docs/contract.md §8.2): one per successful change, stored in audit_log
// (migrations/*/003_change_control.sql) with one column per field below, in the same transaction as the
// change. Field names are the column names, as in the backup format, so the same object is stored,
// exported and imported without a mapping. The Cloudflare audit-log routes (v1, v2) render it in
// Cloudflare's shapes; history (§8.3) renders group entries in ours.
import { type Static, Type } from '@sinclair/typebox';
import { MAX_FIELDS, Nullable, StringEnum, Timestamp } from '../schema.ts';

/** What happened. Groups: create, update, delete, revert. Credentials: create, revoke. */
export const AuditAction = StringEnum(['create', 'update', 'delete', 'revert', 'revoke']);
export type AuditAction = Static<typeof AuditAction>;

export const AuditResourceType = StringEnum(['deployment_group', 'api_token', 'api_key']);
export type AuditResourceType = Static<typeof AuditResourceType>;

/**
 * Who: `user` is whoever holds the credential a request was authenticated with (its id, name, legacy
 * email); `system` is an operator with access to the database (the CLI's tokens/keys commands), or
 * Ringmaster itself (a rollout).
 */
export const AuditActorType = StringEnum(['user', 'system']);
export type AuditActorType = Static<typeof AuditActorType>;

/**
 * Through what: `dashboard` and `CLI` when the request says so (`Ringmaster-Client: dashboard|cli`), or
 * the CLI itself wrote to the database; `API` for every other request; `rollout` for Ringmaster's own.
 */
export const AuditInterface = StringEnum(['API', 'dashboard', 'CLI', 'rollout']);
export type AuditInterface = Static<typeof AuditInterface>;

/** A stored JSON value (the resource before or after the change); never holds a secret. */
const Snapshot = Nullable(Type.Record(Type.String(), Type.Unknown(), { maxProperties: MAX_FIELDS }));

export const AuditEntry = Type.Object(
  {
    /** Order of writing, and the cursor of every listing; unique per installation. */
    seq: Type.Integer({ minimum: 1 }),
    /** A lowercase UUID, picked when the entry is written. */
    id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
    /** null: the change concerns every account (a credential granting all accounts). */
    account_id: Nullable(Type.String()),
    at: Timestamp,
    action: AuditAction,
    resource_type: AuditResourceType,
    resource_id: Type.String(),
    /** The group's revision after the change (a delete is a revision too); null for credentials. */
    revision: Nullable(Type.Integer({ minimum: 1 })),
    actor_type: AuditActorType,
    /** The credential's id; null for `system`. */
    actor_id: Nullable(Type.String()),
    actor_name: Nullable(Type.String()),
    /** The legacy key's X-Auth-Email. */
    actor_email: Nullable(Type.String()),
    /** The client address as TRUST_PROXY allows (src/http/client-address.ts). */
    actor_ip: Nullable(Type.String()),
    interface: AuditInterface,
    ray_id: Nullable(Type.String()),
    method: Nullable(Type.String()),
    uri: Nullable(Type.String()),
    /** The HTTP status answered (200); null when no request was involved. */
    status: Nullable(Type.Integer()),
    user_agent: Nullable(Type.String()),
    before: Snapshot,
    after: Snapshot,
  },
  { additionalProperties: false, maxProperties: MAX_FIELDS },
);
export type AuditEntry = Static<typeof AuditEntry>;

/** Who made a change and how: what the caller (a route, the CLI) knows, the store adds the rest. */
export type AuditContext = Pick<
  AuditEntry,
  | 'actor_type'
  | 'actor_id'
  | 'actor_name'
  | 'actor_email'
  | 'actor_ip'
  | 'interface'
  | 'ray_id'
  | 'method'
  | 'uri'
  | 'status'
  | 'user_agent'
>;

/** What changed: the rest of an entry but its seq (given by the database). */
export type AuditChange = Pick<
  AuditEntry,
  'account_id' | 'at' | 'action' | 'resource_type' | 'resource_id' | 'revision' | 'before' | 'after'
>;

/** An entry before the database gave it its seq. */
export type NewAuditEntry = Omit<AuditEntry, 'seq'>;
