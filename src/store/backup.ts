// The backup format of `ringmaster db export` / `db import` (docs/deployment.md, "The backup format"):
// JSON Lines, one record per line, each with a "type". Backend-neutral and deterministic: the same data
// exports to the same bytes from SQLite and from PostgreSQL, so a round trip can be checked with `cmp`.
//
//   {"type":"header","format":"ringmaster-backup","version":1}
//   {"type":"deployment_group","account_id":…,"id":…,"name":…,"version_config":[…],"policy_ids":…,"created_at":…,"updated_at":…}
//   {"type":"credential","id":…,"kind":…,"name":…,"email":…,"secret_hash":…,"permission":…,"accounts":…,"created_at":…,"expires_at":…,"revoked_at":…}
//   {"type":"end","deployment_groups":<count>,"credentials":<count>}
//
// The trailer makes a truncated file fail to import instead of importing part of an installation.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { BackupRecord } from './store.ts';

export const BACKUP_FORMAT = 'ringmaster-backup';
export const BACKUP_VERSION = 1;

/** A line of the file that cannot be imported; `line` is 1-based. */
export class BackupFormatError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'BackupFormatError';
  }
}

const Timestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{9}Z$' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const strict = { additionalProperties: false } as const;

const Header = Type.Object(
  { type: Type.Literal('header'), format: Type.Literal(BACKUP_FORMAT), version: Type.Integer() },
  strict,
);
const GroupLine = Type.Object(
  {
    type: Type.Literal('deployment_group'),
    account_id: Type.String({ minLength: 1 }),
    id: Type.String({ minLength: 1 }),
    name: Type.String(),
    version_config: Type.Array(
      Type.Object({ target_environment: Nullable(Type.String()), version: Type.String() }, strict),
      { minItems: 1 },
    ),
    policy_ids: Nullable(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true })),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  strict,
);
const CredentialLine = Type.Object(
  {
    type: Type.Literal('credential'),
    id: Type.String({ minLength: 1 }),
    kind: Type.Union([Type.Literal('token'), Type.Literal('key')]),
    name: Nullable(Type.String()),
    email: Nullable(Type.String()),
    secret_hash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    permission: Type.Union([Type.Literal('read'), Type.Literal('write')]),
    accounts: Nullable(Type.Array(Type.String({ minLength: 1 }))),
    created_at: Timestamp,
    expires_at: Nullable(Timestamp),
    revoked_at: Nullable(Timestamp),
  },
  strict,
);
const Trailer = Type.Object(
  {
    type: Type.Literal('end'),
    deployment_groups: Type.Integer({ minimum: 0 }),
    credentials: Type.Integer({ minimum: 0 }),
  },
  strict,
);

const checks = {
  header: TypeCompiler.Compile(Header),
  deployment_group: TypeCompiler.Compile(GroupLine),
  credential: TypeCompiler.Compile(CredentialLine),
  end: TypeCompiler.Compile(Trailer),
};

type GroupLine = Static<typeof GroupLine>;
type CredentialLine = Static<typeof CredentialLine>;

/** The header line, without its newline. */
export function backupHeader(): string {
  return JSON.stringify({ type: 'header', format: BACKUP_FORMAT, version: BACKUP_VERSION });
}

/** One record as its line, without the newline. Keys are written in a fixed order. */
export function formatRecord(record: BackupRecord): string {
  if (record.type === 'deployment_group') {
    const { accountId, group: g } = record;
    const line: GroupLine = {
      type: 'deployment_group',
      account_id: accountId,
      id: g.id,
      name: g.name,
      version_config: g.version_config,
      policy_ids: g.policy_ids,
      created_at: g.created_at,
      updated_at: g.updated_at,
    };
    return JSON.stringify(line);
  }
  const c = record.credential;
  const line: CredentialLine = {
    type: 'credential',
    id: c.id,
    kind: c.kind,
    name: c.name,
    email: c.email,
    secret_hash: c.secretHash,
    permission: c.permission,
    accounts: c.accounts,
    created_at: c.createdAt,
    expires_at: c.expiresAt,
    revoked_at: c.revokedAt,
  };
  return JSON.stringify(line);
}

/** The trailer line, without its newline. */
export function backupTrailer(counts: { deploymentGroups: number; credentials: number }): string {
  return JSON.stringify({
    type: 'end',
    deployment_groups: counts.deploymentGroups,
    credentials: counts.credentials,
  });
}

/**
 * The records of a backup, validated line by line. Throws BackupFormatError on the first bad line, on
 * a missing or unknown header, on anything after the trailer, and at the end if the trailer is missing
 * or its counts disagree: a consumer writing in one transaction then imports nothing at all.
 */
export async function* parseBackup(lines: AsyncIterable<string>): AsyncGenerator<BackupRecord> {
  let number = 0;
  let header = false;
  let trailer: Static<typeof Trailer> | undefined;
  const counts = { deploymentGroups: 0, credentials: 0 };
  for await (const text of lines) {
    number++;
    if (text.trim() === '') continue;
    if (trailer) throw new BackupFormatError(number, 'nothing may follow the "end" record');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new BackupFormatError(number, 'not a JSON object');
    }
    const type = (value as { type?: unknown } | null)?.type;
    if (!header) {
      if (type !== 'header' || !checks.header.Check(value)) {
        throw new BackupFormatError(
          number,
          `the first line must be {"type":"header","format":"${BACKUP_FORMAT}",…}`,
        );
      }
      if (value.version !== BACKUP_VERSION) {
        throw new BackupFormatError(
          number,
          `format version ${value.version} is not supported (this is ${BACKUP_VERSION})`,
        );
      }
      header = true;
      continue;
    }
    if (type === 'deployment_group') {
      const line = validated(checks.deployment_group, value, number);
      counts.deploymentGroups++;
      yield {
        type: 'deployment_group',
        accountId: line.account_id,
        group: {
          id: line.id,
          name: line.name,
          version_config: line.version_config,
          policy_ids: line.policy_ids,
          created_at: line.created_at,
          updated_at: line.updated_at,
        },
      };
    } else if (type === 'credential') {
      const line = validated(checks.credential, value, number);
      counts.credentials++;
      yield {
        type: 'credential',
        credential: {
          id: line.id,
          kind: line.kind,
          name: line.name,
          email: line.email,
          secretHash: line.secret_hash,
          permission: line.permission,
          accounts: line.accounts,
          createdAt: line.created_at,
          expiresAt: line.expires_at,
          revokedAt: line.revoked_at,
        },
      };
    } else if (type === 'end') {
      trailer = validated(checks.end, value, number);
      if (
        trailer.deployment_groups !== counts.deploymentGroups ||
        trailer.credentials !== counts.credentials
      ) {
        throw new BackupFormatError(
          number,
          `the "end" record counts ${trailer.deployment_groups} deployment groups and ${trailer.credentials} credentials, the file holds ${counts.deploymentGroups} and ${counts.credentials}`,
        );
      }
    } else {
      throw new BackupFormatError(number, `unknown record type ${JSON.stringify(type)}`);
    }
  }
  if (!header) throw new BackupFormatError(number + 1, 'the input is empty: expected a header line');
  if (!trailer)
    throw new BackupFormatError(number + 1, 'the file ends without its "end" record (truncated?)');
}

function validated<T extends TSchema>(
  check: ReturnType<typeof TypeCompiler.Compile<T>>,
  value: unknown,
  line: number,
): Static<T> {
  if (check.Check(value)) return value;
  const error = check.Errors(value).First();
  throw new BackupFormatError(line, `${error?.path || '/'} ${error?.message ?? 'is invalid'}`);
}
