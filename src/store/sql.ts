// SQL that both backends write the same way, apart from how a parameter is written (`?` in SQLite, `$n`
// in PostgreSQL). Each backend's statements.ts builds its statements from these.
import { CREDENTIAL_COLUMNS, GROUP_COLUMNS, UPDATE_COLUMNS } from './rows.ts';

/** How a backend writes the parameter at 1-based `position`. */
export type Placeholder = (position: number) => string;

export function insertGroup(placeholder: Placeholder): string {
  return insert('deployment_groups', GROUP_COLUMNS, placeholder);
}

export function insertCredential(placeholder: Placeholder): string {
  return insert('credentials', CREDENTIAL_COLUMNS, placeholder);
}

/** `UPDATE … SET <UPDATE_COLUMNS> WHERE id = … AND account_id = …`, the key after the new values. */
export function updateGroup(placeholder: Placeholder): string {
  const set = UPDATE_COLUMNS.map((column, i) => `${column} = ${placeholder(i + 1)}`).join(', ');
  const next = UPDATE_COLUMNS.length + 1;
  return `UPDATE deployment_groups SET ${set} WHERE id = ${placeholder(next)} AND account_id = ${placeholder(next + 1)}`;
}

export function selectGroups(): string {
  return `SELECT ${GROUP_COLUMNS.join(', ')} FROM deployment_groups`;
}

export function selectCredentials(): string {
  return `SELECT ${CREDENTIAL_COLUMNS.join(', ')} FROM credentials`;
}

function insert(table: string, columns: readonly string[], placeholder: Placeholder): string {
  const values = columns.map((_, i) => placeholder(i + 1)).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values})`;
}

/** Whether the store holds anything an import would replace (a boolean column `used`). */
export const IS_USED =
  'SELECT (EXISTS (SELECT 1 FROM deployment_groups) OR EXISTS (SELECT 1 FROM credentials)) AS used';

/** Empties what an import replaces; ownership rows first, as they refer to the groups. */
export const WIPE = 'DELETE FROM policy_owners; DELETE FROM deployment_groups; DELETE FROM credentials';

/** Export order (docs/deployment.md, "The backup format"): the same in both backends, byte for byte. */
export const GROUP_EXPORT_ORDER = 'ORDER BY account_id, created_at, id';
export const CREDENTIAL_ORDER = 'ORDER BY created_at, id';
