// Rows as both backends store them: one column per field of the model (deployment-groups/model.ts,
// tokens/model.ts), plus a group's account_id. Every value is TEXT; the arrays (version_config,
// policy_ids, a credential's accounts) are JSON text, so that client order and null-vs-[] survive.
// This is the one mapping between the model and a row, for both backends.
import type { TSchema } from '@sinclair/typebox';
import { AuditEntry, type NewAuditEntry } from '../audit/model.ts';
import { DeploymentGroup } from '../deployment-groups/model.ts';
import { Credential } from '../tokens/model.ts';
import type { AuditRecord, CredentialRecord, GroupRecord, IdempotencyKeyRecord } from './backup.ts';
import type { StoredGroup } from './store.ts';

export type Row = Record<string, unknown>;

function fieldsOf(schema: { properties: Record<string, TSchema> }) {
  const fields = Object.keys(schema.properties);
  const json = new Set(fields.filter((field) => schema.properties[field]?.type === 'array'));
  return { fields, json };
}

const GROUP = fieldsOf(DeploymentGroup);
const CREDENTIAL = fieldsOf(Credential);

/** deployment_groups' columns, in the order of groupValues(): the model's, then the revision. */
export const GROUP_COLUMNS = ['account_id', ...GROUP.fields, 'revision'];
/** credentials' columns, in the order of credentialValues(). */
export const CREDENTIAL_COLUMNS = CREDENTIAL.fields;
/** What an update may change (docs/contract.md §2: id and created_at never do), in updateValues() order. */
export const UPDATE_COLUMNS = ['name', 'version_config', 'policy_ids', 'updated_at', 'revision'] as const;

function encode(value: unknown, json: boolean): unknown {
  return json && value !== null ? JSON.stringify(value) : value;
}

function decode<T>(row: Row, { fields, json }: { fields: string[]; json: Set<string> }): T {
  const object: Row = {};
  for (const field of fields) {
    const value = row[field];
    object[field] = json.has(field) && value !== null ? JSON.parse(value as string) : value;
  }
  return object as T;
}

export function groupValues(accountId: string, group: DeploymentGroup, revision = 1): unknown[] {
  return rowValues(GROUP_COLUMNS, group, { account_id: accountId, revision });
}

export function updateValues(group: DeploymentGroup, revision: number): unknown[] {
  return rowValues(UPDATE_COLUMNS, group, { revision });
}

/**
 * `columns`' values: what `stored` holds, the group's fields (encoded) for the rest. Not a spread copy of
 * the group with `stored`'s fields added: V8 adds each of those through its slow path, ~1 µs a field.
 */
function rowValues(columns: readonly string[], group: DeploymentGroup, stored: Row): unknown[] {
  return columns.map((column) =>
    column in stored
      ? stored[column]
      : encode(group[column as keyof DeploymentGroup], GROUP.json.has(column)),
  );
}

export function credentialValues(credential: Credential): unknown[] {
  return CREDENTIAL_COLUMNS.map((column) =>
    encode(credential[column as keyof Credential], CREDENTIAL.json.has(column)),
  );
}

export function toGroup(row: Row): DeploymentGroup {
  return decode<DeploymentGroup>(row, GROUP);
}

export function toCredential(row: Row): Credential {
  return decode<Credential>(row, CREDENTIAL);
}

/** A row of deployment_groups (with its account_id) as a backup record. */
export function toGroupRecord(row: Row): GroupRecord {
  const account_id = row.account_id as string;
  return { type: 'deployment_group', account_id, ...toGroup(row), revision: Number(row.revision) };
}

export function toAuditRecord(row: Row): AuditRecord {
  return { type: 'audit_entry', ...toAuditEntry(row) };
}

export function toIdempotencyRecord(row: Row): IdempotencyKeyRecord {
  return { type: 'idempotency_key', ...toIdempotencyKey(row) };
}

export function toCredentialRecord(row: Row): CredentialRecord {
  return { type: 'credential', ...toCredential(row) };
}

// --- revisions, audit entries, idempotency keys (docs/contract.md §8) --------------------------------

/** A group row (selected with its revision) as the group and its revision. */
export function toStoredGroup(row: Row): StoredGroup {
  return { group: toGroup(row), revision: Number(row.revision) };
}

const AUDIT = fieldsOf(AuditEntry);
/** The JSON columns of audit_log: what the model types as objects. */
const AUDIT_JSON = new Set(['before', 'after']);
/** audit_log's columns but seq (given by the database), in the order of auditValues(). */
export const AUDIT_COLUMNS = AUDIT.fields.filter((field) => field !== 'seq');

export function auditValues(entry: NewAuditEntry): unknown[] {
  return AUDIT_COLUMNS.map((column) => encode(entry[column as keyof NewAuditEntry], AUDIT_JSON.has(column)));
}

/** A row of audit_log (seq included; PostgreSQL returns BIGINT as text) as an entry. */
export function toAuditEntry(row: Row): AuditEntry {
  const entry = decode<AuditEntry>(row, { fields: AUDIT.fields, json: AUDIT_JSON });
  entry.seq = Number(entry.seq);
  return entry;
}

export const IDEMPOTENCY_COLUMNS = [
  'account_id',
  'credential_id',
  'key',
  'request_hash',
  'status',
  'response',
  'created_at',
] as const;

/** A stored Idempotency-Key, as a backup record holds it. */
export interface IdempotencyKeyRow {
  account_id: string;
  credential_id: string;
  key: string;
  request_hash: string;
  status: number;
  /** The replayed `result`, as JSON text. */
  response: string;
  created_at: string;
}

export function idempotencyValues(row: IdempotencyKeyRow): unknown[] {
  return IDEMPOTENCY_COLUMNS.map((column) => row[column]);
}

export function toIdempotencyKey(row: Row): IdempotencyKeyRow {
  return { ...(row as unknown as IdempotencyKeyRow), status: Number(row.status) };
}
