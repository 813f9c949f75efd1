// The backup format of `ringmaster db export` / `db import` (docs/deployment.md, "The backup format"):
// JSON Lines, one record per line, each with a "type". Backend-neutral and deterministic: the same data
// exports to the same bytes from SQLite and from PostgreSQL, so a round trip can be checked with `cmp`.
//
//   {"type":"header","format":"ringmaster-backup","version":2}
//   {"type":"deployment_group","account_id":…,"id":…,"name":…,"version_config":[…],"policy_ids":…,"created_at":…,"updated_at":…,"revision":…}
//   {"type":"credential","id":…,"kind":…,"name":…,"email":…,"secret_hash":…,"permission":…,"accounts":…,"created_at":…,"expires_at":…,"revoked_at":…}
//   {"type":"audit_entry","seq":…,"id":…,"account_id":…,"at":…,"action":…,…,"before":{…}|null,"after":{…}|null}
//   {"type":"idempotency_key","account_id":…,"credential_id":…,"key":…,"request_hash":…,"status":…,"response":"…","created_at":…}
//   {"type":"rollout","account_id":…,"id":…,"name":…,"state":…,…,"stages":[…],…}
//   {"type":"end","deployment_groups":<count>,"credentials":<count>,"audit_entries":<count>,"idempotency_keys":<count>,"rollouts":<count>}
//
// Versions 1 (before change control) and 2 (before rollouts) are still read: version 1's groups have no
// revision (they start at 1), and it has neither audit entries nor idempotency keys; neither has rollouts.
//
// A record is the model itself (deployment-groups/model.ts, tokens/model.ts) with a type, and is checked
// with the API's own validator and rules: what the API would refuse, an import refuses too. The trailer
// makes a truncated file fail to import instead of importing part of an installation.
import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { AccountId } from '../accounts.ts';
import { AuditEntry } from '../audit/model.ts';
import { DeploymentGroup, deploymentGroupSchema, VersionConfigEntry } from '../deployment-groups/model.ts';
import type { Violation } from '../errors.ts';
import { toViolations, validatorCompiler } from '../http/validation.ts';
import { Creator, ReplacedEntry, Rollout, Stage } from '../rollouts/model.ts';
import { MAX_FIELDS, Timestamp } from '../schema.ts';
import { Credential } from '../tokens/model.ts';

export const BACKUP_FORMAT = 'ringmaster-backup';
export const BACKUP_VERSION = 3;
/** Versions this build imports. */
const READABLE_VERSIONS = [1, 2, 3];

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

const Revision = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 });

/** A group line; version 1 files have no revision (the group starts at 1). */
function groupRecordSchema(environments?: readonly string[], version = BACKUP_VERSION) {
  const group = environments === undefined ? DeploymentGroup : deploymentGroupSchema(environments);
  const revision = version === 1 ? Type.Optional(Revision) : Revision;
  return Type.Object(
    { type: Type.Literal('deployment_group'), account_id: AccountId, ...group.properties, revision },
    strict,
  );
}
const CredentialRecord = Type.Object({ type: Type.Literal('credential'), ...Credential.properties }, strict);
const AuditRecord = Type.Object({ type: Type.Literal('audit_entry'), ...AuditEntry.properties }, strict);
const IdempotencyKeyRecord = Type.Object(
  {
    type: Type.Literal('idempotency_key'),
    account_id: AccountId,
    credential_id: Type.String({ minLength: 1 }),
    key: Type.String({ pattern: '^[\\x20-\\x7E]{1,255}$' }),
    request_hash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    status: Type.Integer({ minimum: 100, maximum: 599 }),
    response: Type.String(),
    created_at: Timestamp,
  },
  strict,
);
const RolloutRecord = Type.Object(
  { type: Type.Literal('rollout'), account_id: AccountId, ...Rollout.properties },
  strict,
);
const Header = Type.Object(
  { type: Type.Literal('header'), format: Type.Literal(BACKUP_FORMAT), version: Type.Integer() },
  strict,
);
const Count = Type.Integer({ minimum: 0 });
const Trailer = Type.Object(
  {
    type: Type.Literal('end'),
    deployment_groups: Count,
    credentials: Count,
    audit_entries: Type.Optional(Count),
    idempotency_keys: Type.Optional(Count),
    rollouts: Type.Optional(Count),
  },
  strict,
);

/** A group with its account and revision (absent in version 1: the group starts at 1), as one backup line. */
export type GroupRecord = DeploymentGroup & {
  type: 'deployment_group';
  account_id: string;
  revision?: number;
};
/** A credential (as its SHA-256 hash, never the secret), as one backup line. */
export type CredentialRecord = Static<typeof CredentialRecord>;
export type AuditRecord = Static<typeof AuditRecord>;
export type IdempotencyKeyRecord = Static<typeof IdempotencyKeyRecord>;
/** A rollout with its stages and its account (version 3). */
export type RolloutRecord = Static<typeof RolloutRecord>;
/**
 * One record of a backup. Policy ownership is not a record of its own: it follows from the groups'
 * `policy_ids`.
 */
export type BackupRecord =
  | GroupRecord
  | CredentialRecord
  | AuditRecord
  | IdempotencyKeyRecord
  | RolloutRecord;

const GROUP_KEYS = [
  ...Object.keys(groupRecordSchema().properties),
  ...Object.keys(VersionConfigEntry().properties),
];
const CREDENTIAL_KEYS = Object.keys(CredentialRecord.properties);

/**
 * Each record's keys in the order they are written: the schema's, so that exports are byte-stable. An
 * array replacer also filters nested objects, so an audit entry's list names what its before/after hold.
 */
const KEY_ORDER = {
  deployment_group: GROUP_KEYS,
  credential: CREDENTIAL_KEYS,
  audit_entry: [...new Set([...Object.keys(AuditRecord.properties), ...GROUP_KEYS, ...CREDENTIAL_KEYS])],
  idempotency_key: Object.keys(IdempotencyKeyRecord.properties),
  rollout: [
    ...new Set([
      ...Object.keys(RolloutRecord.properties),
      ...Object.keys(VersionConfigEntry().properties),
      ...Object.keys(Stage.properties),
      ...Object.keys(ReplacedEntry.properties),
      ...Object.keys(Creator.properties),
    ]),
  ],
};

/** How many records of each type a backup holds (its trailer). */
export interface BackupCounts {
  deploymentGroups: number;
  credentials: number;
  auditEntries: number;
  idempotencyKeys: number;
  rollouts: number;
}

const COUNTED: Record<BackupRecord['type'], keyof BackupCounts> = {
  deployment_group: 'deploymentGroups',
  credential: 'credentials',
  audit_entry: 'auditEntries',
  idempotency_key: 'idempotencyKeys',
  rollout: 'rollouts',
};

export function emptyCounts(): BackupCounts {
  return { deploymentGroups: 0, credentials: 0, auditEntries: 0, idempotencyKeys: 0, rollouts: 0 };
}

/** Counts `record` in `counts`. */
export function countRecord(counts: BackupCounts, record: BackupRecord): void {
  counts[COUNTED[record.type]]++;
}

/** The header line, without its newline. */
export function backupHeader(): string {
  return JSON.stringify({ type: 'header', format: BACKUP_FORMAT, version: BACKUP_VERSION });
}

/** One record as its line, without the newline. */
export function formatRecord(record: BackupRecord): string {
  return JSON.stringify(record, KEY_ORDER[record.type]);
}

/** The trailer line, without its newline. */
export function backupTrailer(counts: BackupCounts): string {
  return JSON.stringify({
    type: 'end',
    deployment_groups: counts.deploymentGroups,
    credentials: counts.credentials,
    audit_entries: counts.auditEntries,
    idempotency_keys: counts.idempotencyKeys,
    rollouts: counts.rollouts,
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
  const header = compile(compiler, Header);
  const seen = new FirstLines();
  let number = 0;
  let checks: RecordChecks | undefined;
  let trailer: Static<typeof Trailer> | undefined;
  const counts = emptyCounts();
  for await (const text of lines) {
    number++;
    if (text.trim() === '') continue;
    if (trailer) throw new BackupFormatError(number, 'nothing may follow the "end" record');
    const value = parseLine(text, number);
    if (!checks) {
      const version = checkHeader(header, value, number);
      checks = recordChecks(compiler, targetEnvironments, version);
      continue;
    }
    const type = (value as { type?: unknown }).type;
    if (type === 'end') {
      trailer = checks.end(value, number);
      checkCounts(trailer, counts, number);
      continue;
    }
    const check = typeof type === 'string' ? checks.records[type as BackupRecord['type']] : undefined;
    if (!check) throw new BackupFormatError(number, `unknown record type ${JSON.stringify(type)}`);
    const record = check(value, number) as BackupRecord;
    seen.record(record, number);
    countRecord(counts, record);
    yield record;
  }
  if (!checks) throw new BackupFormatError(number + 1, 'the input is empty: expected a header line');
  if (!trailer)
    throw new BackupFormatError(number + 1, 'the file ends without its "end" record (truncated?)');
}

interface RecordChecks {
  records: Partial<Record<BackupRecord['type'], Check<TObject>>>;
  end: Check<typeof Trailer>;
}

/** The record types a version holds, each with its check. */
function recordChecks(
  compiler: ReturnType<typeof validatorCompiler>,
  environments: readonly string[],
  version: number,
): RecordChecks {
  const records: RecordChecks['records'] = {
    deployment_group: compile(compiler, groupRecordSchema(environments, version)),
    credential: compile(compiler, CredentialRecord),
  };
  if (version >= 2) {
    records.audit_entry = compile(compiler, AuditRecord);
    records.idempotency_key = compile(compiler, IdempotencyKeyRecord);
  }
  if (version >= 3) records.rollout = compile(compiler, RolloutRecord);
  return { records, end: compile(compiler, Trailer) };
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

/** The header's version, if this build reads it. */
function checkHeader(check: Check<typeof Header>, value: object, line: number): number {
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
  if (!READABLE_VERSIONS.includes(header.version)) {
    throw new BackupFormatError(
      line,
      `format version ${header.version} is not supported (this reads ${READABLE_VERSIONS.join(' and ')})`,
    );
  }
  return header.version;
}

function checkCounts(trailer: Static<typeof Trailer>, counts: BackupCounts, line: number): void {
  const stated = [
    trailer.deployment_groups,
    trailer.credentials,
    trailer.audit_entries ?? 0,
    trailer.idempotency_keys ?? 0,
    trailer.rollouts ?? 0,
  ];
  const held = [
    counts.deploymentGroups,
    counts.credentials,
    counts.auditEntries,
    counts.idempotencyKeys,
    counts.rollouts,
  ];
  if (stated.every((count, i) => count === held[i])) return;
  throw new BackupFormatError(
    line,
    `the "end" record counts ${stated[0]} deployment groups, ${stated[1]} credentials, ${stated[2]} audit entries, ${stated[3]} idempotency keys and ${stated[4]} rollouts; the file holds ${held.join(', ')}`,
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

  record(record: BackupRecord, line: number): void {
    if (record.type === 'deployment_group') this.group(record, line);
    else if (record.type === 'credential') this.credential(record, line);
    else if (record.type === 'audit_entry') {
      this.claim(`audit ${record.id}`, line, '/id', `audit entry ${record.id} is also on line`);
      this.claim(`seq ${record.seq}`, line, '/seq', `audit entry seq ${record.seq} is also on line`);
    } else if (record.type === 'rollout') {
      this.claim(`rollout ${record.id}`, line, '/id', `rollout ${record.id} is also on line`);
    } else {
      const key = `key ${record.account_id} ${record.credential_id} ${record.key}`;
      this.claim(key, line, '/key', 'the same idempotency key is also on line');
    }
  }

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
