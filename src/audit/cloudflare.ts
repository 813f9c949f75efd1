// A stored audit entry (model.ts) in Cloudflare's two shapes (docs/contract.md §8.2): version 1
// (`aaa_audit-logs`) and version 2 (`aaa_audit-logs-v2`). Every value Cloudflare has and Ringmaster does
// not store (actor context, actor type, product, scope, the version 2 action type) is defined here once, as
// a condition on the stored columns: the filters select with it (filters.ts) and the renderers label with
// it (`labelOf`), so what a filter keeps is exactly what the answer says.
import { type AuditColumn, type AuditCondition, matches } from '../store/audit-query.ts';
import type { AuditEntry } from './model.ts';

const is = (column: AuditColumn, ...values: string[]): AuditCondition => ({ op: 'in', column, values });
const not = (condition: AuditCondition): AuditCondition => ({ op: 'not', condition });
const and = (...conditions: AuditCondition[]): AuditCondition => ({ op: 'and', conditions });
export const NEVER: AuditCondition = { op: 'false' };
export const ALWAYS: AuditCondition = { op: 'true' };

const byCredential = is('actor_type', 'user');
const inDashboard = is('interface', 'dashboard');
const byRingmaster = and(is('actor_type', 'system'), is('interface', 'rollout'));
const byOperator = and(is('actor_type', 'system'), not(is('interface', 'rollout')));

/**
 * Version 2 `actor.context`: the dashboard is `dash`; any other request authenticated with a legacy key
 * (the only credentials with an email) is `api_key`, with a token `api_token`. Changes made without a
 * request (the CLI on the database, a rollout) have none.
 */
export const ACTOR_CONTEXT = {
  api: NEVER,
  api_key: and(byCredential, not(inDashboard), not({ op: 'null', column: 'actor_email' })),
  api_token: and(byCredential, not(inDashboard), { op: 'null', column: 'actor_email' }),
  dash: and(byCredential, inDashboard),
  oauth: NEVER,
  origin_ca_key: NEVER,
} satisfies Record<string, AuditCondition>;

/** Version 2 `actor.type`: a credential holder is a `user`, the operator on the database a `cloudflare_admin`. */
export const ACTOR_TYPE = {
  account: NEVER,
  cloudflare_admin: byOperator,
  delegated_service: NEVER,
  system: byRingmaster,
  user: byCredential,
} satisfies Record<string, AuditCondition>;

/** Version 1 `actor.type`, the same three actors in its words ("Cloudflare": an automated system). */
export const V1_ACTOR_TYPE = { user: byCredential, admin: byOperator, Cloudflare: byRingmaster };

/** Version 2 `action.type`: a revert and a revocation change what exists, so they are updates. */
export const ACTION_TYPE = {
  create: is('action', 'create'),
  delete: is('action', 'delete'),
  update: is('action', 'update', 'revert', 'revoke'),
  view: NEVER,
} satisfies Record<string, AuditCondition>;

/** `resource.product`: deployment groups are Zero Trust devices; credentials are API tokens or keys. */
export const PRODUCT = {
  devices: is('resource_type', 'deployment_group'),
  api_tokens: is('resource_type', 'api_token'),
  api_keys: is('resource_type', 'api_key'),
} satisfies Record<string, AuditCondition>;

/** `product_category` → the products it expands to (lowercase names; matched case-insensitively). */
export const PRODUCT_CATEGORIES: Record<string, (keyof typeof PRODUCT)[]> = {
  zerotrust: ['devices'],
  iam: ['api_tokens', 'api_keys'],
};

/**
 * `resource.scope`: an account's own entry is `accounts`; a change to a credential that grants every
 * account concerns no one account, like a Cloudflare user-level token, so it is `user`.
 */
export const RESOURCE_SCOPE = {
  accounts: not({ op: 'null', column: 'account_id' }),
  user: { op: 'null', column: 'account_id' },
  zones: NEVER,
  memberships: NEVER,
} satisfies Record<string, AuditCondition>;

/** The label whose condition the entry meets (the conditions of one table never overlap). */
export function labelOf<K extends string>(
  table: Record<K, AuditCondition>,
  entry: AuditEntry,
): K | undefined {
  return (Object.keys(table) as K[]).find((label) => matches(table[label], entry));
}

/** Version 2 ids are at most 32 characters (`aaa_identifier-2`): the UUID without its dashes. */
export function v2Id(id: string): string {
  return id.replaceAll('-', '');
}

const UUID = /^([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/i;

/** An entry id as a client may write it (a UUID, with or without dashes) as it is stored. */
export function storedId(id: string): string {
  const parts = UUID.exec(id);
  return parts ? parts.slice(1).join('-').toLowerCase() : id;
}

const RAY = /^([0-9a-f]{16})(?:-[A-Z]{3})?$/i;

/** A ray id as a client may write it: Cloudflare's 16 hex digits, or the whole `cf-ray` header value. */
export function rayDigits(ray: string): string {
  return RAY.exec(ray)?.[1]?.toLowerCase() ?? ray;
}

/** An IPv4 client seen by a dual-stack listener (`::ffff:10.0.0.1`) is shown as IPv4, as Cloudflare shows it. */
function address(ip: string | null): string | null {
  return ip === null ? null : (/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip);
}

type Snapshot = AuditEntry['before'];

/**
 * What an account's reader may see of a stored value: a credential that grants several accounts lists
 * only the reader's (the others are other accounts' business, docs/contract.md §5).
 */
function visible(snapshot: Snapshot, entry: AuditEntry, viewer: string | null): Snapshot {
  if (snapshot === null || viewer === null || entry.resource_type === 'deployment_group') return snapshot;
  const accounts = snapshot.accounts;
  return Array.isArray(accounts)
    ? { ...snapshot, accounts: accounts.filter((id) => id === viewer) }
    : snapshot;
}

/** Keeps the fields that have a value: Cloudflare leaves out what it does not know. */
function present<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== null && value !== undefined),
  ) as Partial<T>;
}

/** Version 1: `GET /accounts/{account_id}/audit_logs`. `viewer` is the account asking. */
export function toV1(entry: AuditEntry, viewer: string | null) {
  const before = visible(entry.before, entry, viewer);
  const after = visible(entry.after, entry, viewer);
  return {
    id: entry.id,
    action: { result: true, type: entry.action },
    actor: {
      ...present({ email: entry.actor_email, id: entry.actor_id, ip: address(entry.actor_ip) }),
      type: labelOf(V1_ACTOR_TYPE, entry) ?? 'admin',
    },
    interface: entry.interface,
    metadata: present({
      actor_name: entry.actor_name,
      revision: entry.revision,
      ray_id: entry.ray_id === null ? null : rayDigits(entry.ray_id),
      method: entry.method,
      uri: entry.uri,
      status_code: entry.status,
      user_agent: entry.user_agent,
    }),
    ...present({
      newValue: after === null ? null : JSON.stringify(after),
      oldValue: before === null ? null : JSON.stringify(before),
      owner: entry.account_id === null ? null : { id: entry.account_id },
    }),
    resource: { id: entry.resource_id, type: entry.resource_type },
    when: entry.at,
  };
}

const NOUNS: Record<AuditEntry['resource_type'], string> = {
  deployment_group: 'deployment group',
  api_token: 'API token',
  api_key: 'API key',
};

/** Version 2: `GET /accounts/{account_id}/logs/audit`. `viewer` is the account asking. */
export function toV2(entry: AuditEntry, viewer: string | null) {
  const context = labelOf(ACTOR_CONTEXT, entry);
  const after = visible(entry.after, entry, viewer);
  const verb = entry.action.charAt(0).toUpperCase() + entry.action.slice(1);
  return {
    id: v2Id(entry.id),
    ...present({ account: entry.account_id === null ? null : { id: entry.account_id } }),
    action: {
      description: `${verb} ${NOUNS[entry.resource_type]}`,
      result: 'success',
      time: entry.at,
      type: labelOf(ACTION_TYPE, entry) ?? 'update',
    },
    actor: {
      ...present({
        context,
        email: entry.actor_email,
        id: entry.actor_id,
        ip_address: address(entry.actor_ip),
        // Cloudflare names the token only when the actor authenticated with one.
        token_id: context === 'api_token' ? entry.actor_id : null,
        token_name: context === 'api_token' ? entry.actor_name : null,
      }),
      type: labelOf(ACTOR_TYPE, entry) ?? 'system',
    },
    raw: present({
      cf_ray_id: entry.ray_id === null ? null : rayDigits(entry.ray_id),
      method: entry.method,
      status_code: entry.status,
      uri: entry.uri,
      user_agent: entry.user_agent,
    }),
    resource: {
      id: entry.resource_id,
      product: labelOf(PRODUCT, entry) ?? entry.resource_type,
      ...present({ response: after }),
      scope: labelOf(RESOURCE_SCOPE, entry) ?? 'accounts',
      type: entry.resource_type,
    },
  };
}
