// The backup format of `ringmaster db export` / `db import` (docs/deployment.md, "The backup format"):
// JSON Lines, one record per line, each with a "type". Backend-neutral and deterministic: the same data
// exports to the same bytes from SQLite and from PostgreSQL, so a round trip can be checked with `cmp`.
//
//   {"type":"header","format":"ringmaster-backup","version":1}
//   {"type":"deployment_group","account_id":…,"id":…,"name":…,"version_config":[…],"policy_ids":…,"created_at":…,"updated_at":…}
//   {"type":"credential","id":…,"kind":…,"name":…,"email":…,"secret_hash":…,"permission":…,"accounts":…,"created_at":…,"expires_at":…,"revoked_at":…}
//   {"type":"end","deployment_groups":<count>,"credentials":<count>}
//
// A record is the model itself (deployment-groups/model.ts, tokens/model.ts) with a type, and is checked
// with the API's own validator and rules: what the API would refuse, an import refuses too. The trailer
// makes a truncated file fail to import instead of importing part of an installation.
import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { AccountId } from '../accounts.ts';
import { DeploymentGroup, deploymentGroupSchema, VersionConfigEntry } from '../deployment-groups/model.ts';
import type { Violation } from '../errors.ts';
import { toViolations, validatorCompiler } from '../http/validation.ts';
import { MAX_FIELDS } from '../schema.ts';
import { Credential } from '../tokens/model.ts';

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

const strict = { additionalProperties: false, maxProperties: MAX_FIELDS } as const;

function groupRecordSchema(environments?: readonly string[]) {
  const group = environments === undefined ? DeploymentGroup : deploymentGroupSchema(environments);
  return Type.Object(
    { type: Type.Literal('deployment_group'), account_id: AccountId, ...group.properties },
    strict,
  );
}
const CredentialRecord = Type.Object({ type: Type.Literal('credential'), ...Credential.properties }, strict);
const Header = Type.Object(
  { type: Type.Literal('header'), format: Type.Literal(BACKUP_FORMAT), version: Type.Integer() },
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

/** A group with its account, as one backup line. */
export type GroupRecord = Static<ReturnType<typeof groupRecordSchema>>;
/** A credential (as its SHA-256 hash, never the secret), as one backup line. */
export type CredentialRecord = Static<typeof CredentialRecord>;
/**
 * One record of a backup. Policy ownership is not a record of its own: it follows from the groups'
 * `policy_ids`.
 */
export type BackupRecord = GroupRecord | CredentialRecord;

/** Each record's keys in the order they are written: the schema's, so that exports are byte-stable. */
const KEY_ORDER = {
  deployment_group: [
    ...Object.keys(groupRecordSchema().properties),
    ...Object.keys(VersionConfigEntry().properties),
  ],
  credential: Object.keys(CredentialRecord.properties),
};

/** The header line, without its newline. */
export function backupHeader(): string {
  return JSON.stringify({ type: 'header', format: BACKUP_FORMAT, version: BACKUP_VERSION });
}

/** One record as its line, without the newline. */
export function formatRecord(record: BackupRecord): string {
  return JSON.stringify(record, KEY_ORDER[record.type]);
}

/** The trailer line, without its newline. */
export function backupTrailer(counts: { deploymentGroups: number; credentials: number }): string {
  return JSON.stringify({
    type: 'end',
    deployment_groups: counts.deploymentGroups,
    credentials: counts.credentials,
  });
}

export interface ParseOptions {
  /** The configured TARGET_ENVIRONMENTS: a group may name only these (or null), as in the API. */
  targetEnvironments: readonly string[];
}

/**
 * The records of a backup, validated line by line. Throws BackupFormatError on the first bad line (a
 * rule of the model broken, naming the JSON pointer; an id, secret hash or policy ID of an account that
 * an earlier line already has, naming that line), on a missing or unknown header, on anything after the
 * trailer, and at the end if the trailer is missing or its counts disagree: a consumer writing in one
 * transaction then imports nothing at all.
 */
export async function* parseBackup(
  lines: AsyncIterable<string>,
  { targetEnvironments }: ParseOptions,
): AsyncGenerator<BackupRecord> {
  const compiler = validatorCompiler();
  const check = {
    header: compile(compiler, Header),
    deployment_group: compile(compiler, groupRecordSchema(targetEnvironments)),
    credential: compile(compiler, CredentialRecord),
    end: compile(compiler, Trailer),
  };
  const seen = new FirstLines();
  let number = 0;
  let header = false;
  let trailer: Static<typeof Trailer> | undefined;
  const counts = { deploymentGroups: 0, credentials: 0 };
  for await (const text of lines) {
    number++;
    if (text.trim() === '') continue;
    if (trailer) throw new BackupFormatError(number, 'nothing may follow the "end" record');
    const value = parseLine(text, number);
    const type = (value as { type?: unknown }).type;
    if (!header) {
      checkHeader(check.header, value, number);
      header = true;
      continue;
    }
    if (type === 'deployment_group') {
      const record = check.deployment_group(value, number);
      seen.group(record, number);
      counts.deploymentGroups++;
      yield record;
    } else if (type === 'credential') {
      const record = check.credential(value, number);
      seen.credential(record, number);
      counts.credentials++;
      yield record;
    } else if (type === 'end') {
      trailer = check.end(value, number);
      checkCounts(trailer, counts, number);
    } else {
      throw new BackupFormatError(number, `unknown record type ${JSON.stringify(type)}`);
    }
  }
  if (!header) throw new BackupFormatError(number + 1, 'the input is empty: expected a header line');
  if (!trailer)
    throw new BackupFormatError(number + 1, 'the file ends without its "end" record (truncated?)');
}

function parseLine(text: string, line: number): object {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BackupFormatError(line, 'not a JSON object');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BackupFormatError(line, 'not a JSON object');
  }
  return value;
}

function checkHeader(check: Check<typeof Header>, value: object, line: number): void {
  let header: Static<typeof Header>;
  try {
    if ((value as { type?: unknown }).type !== 'header') throw new Error('not a header');
    header = check(value, line);
  } catch {
    throw new BackupFormatError(
      line,
      `the first line must be {"type":"header","format":"${BACKUP_FORMAT}",…}`,
    );
  }
  if (header.version !== BACKUP_VERSION) {
    throw new BackupFormatError(
      line,
      `format version ${header.version} is not supported (this is ${BACKUP_VERSION})`,
    );
  }
}

function checkCounts(
  trailer: Static<typeof Trailer>,
  counts: { deploymentGroups: number; credentials: number },
  line: number,
): void {
  if (trailer.deployment_groups === counts.deploymentGroups && trailer.credentials === counts.credentials) {
    return;
  }
  throw new BackupFormatError(
    line,
    `the "end" record counts ${trailer.deployment_groups} deployment groups and ${trailer.credentials} credentials, the file holds ${counts.deploymentGroups} and ${counts.credentials}`,
  );
}

type Check<T extends TSchema> = (value: unknown, line: number) => Static<T>;

/**
 * A check of one record type with the very validator the API checks request bodies with (same Ajv, same
 * keywords, same messages); a failure names the line, and each violation its JSON pointer.
 */
function compile<T extends TObject>(compiler: ReturnType<typeof validatorCompiler>, schema: T): Check<T> {
  const validate = compiler({ schema, method: 'IMPORT', url: 'backup', httpPart: 'body' }) as {
    (value: unknown): boolean;
    errors?: Parameters<typeof toViolations>[0] | null;
  };
  return (value, line) => {
    if (validate(value)) return value as Static<T>;
    const violations = toViolations(validate.errors ?? [], 'body');
    throw new BackupFormatError(line, violations.map(describe).join('; ') || 'invalid record');
  };
}

function describe({ pointer, message }: Violation): string {
  return `${pointer || '/'}: ${message}`;
}

/**
 * The line on which each unique thing first appeared: group ids, credential ids and secret hashes are
 * unique in the whole store, a policy ID within its account (docs/contract.md §5). A repeat names both
 * lines, before the database would refuse it with a constraint name.
 */
class FirstLines {
  private readonly lines = new Map<string, number>();

  group(record: GroupRecord, line: number): void {
    this.claim(`group ${record.id}`, line, '/id', `deployment group ${record.id} is also on line`);
    for (const [i, policyId] of (record.policy_ids ?? []).entries()) {
      this.claim(
        `policy ${record.account_id} ${policyId}`,
        line,
        `/policy_ids/${i}`,
        `policy ID ${policyId} of account ${record.account_id} is also claimed by the deployment group on line`,
      );
    }
  }

  credential(record: CredentialRecord, line: number): void {
    this.claim(`credential ${record.id}`, line, '/id', `credential ${record.id} is also on line`);
    this.claim(`secret ${record.secret_hash}`, line, '/secret_hash', 'the same secret hash is also on line');
  }

  private claim(key: string, line: number, pointer: string, repeated: string): void {
    const first = this.lines.get(key);
    if (first !== undefined) throw new BackupFormatError(line, `${pointer}: ${repeated} ${first}`);
    this.lines.set(key, line);
  }
}
