// The audit-log routes' query parameters (schemas.ts, already valid) as the store's AuditQuery
// (docs/contract.md §8.2): the filters as conditions (cloudflare.ts says what each Cloudflare value means
// here), the time window, the order and the page. What JSON Schema cannot check is checked here, and every
// violation is reported together (400 2001, one per parameter).
import { BlockList, isIP } from 'node:net';
import { formatTimestamp, parseDateOrDateTime } from '../clock.ts';
import { type Violation, validationError } from '../errors.ts';
import { RAY_LOCATION } from '../http/ray.ts';
import type { AuditColumn, AuditCondition } from '../store/audit-query.ts';
import {
  ACTION_TYPE,
  ACTOR_CONTEXT,
  ACTOR_TYPE,
  ALWAYS,
  NEVER,
  PRODUCT,
  PRODUCT_CATEGORIES,
  RESOURCE_SCOPE,
  rayDigits,
  storedId,
} from './cloudflare.ts';
import type { V1QueryValues, V2Filter, V2QueryValues } from './schemas.ts';

const any = (conditions: AuditCondition[]): AuditCondition => ({ op: 'or', conditions });
const all = (conditions: AuditCondition[]): AuditCondition => ({ op: 'and', conditions });
const oneOf = (column: AuditColumn, values: readonly (string | number)[]): AuditCondition => ({
  op: 'in',
  column,
  values,
});
const labelled = (table: Record<string, AuditCondition>) => (values: (string | number)[]) =>
  any(values.map((value) => table[String(value)] ?? NEVER));

const storedRay = (ray: string) => `${rayDigits(ray)}-${RAY_LOCATION}`;

/**
 * An address as a client writes it, and as it may be stored: a dual-stack listener sees IPv4 clients as
 * IPv4-mapped IPv6 (`::ffff:10.0.0.1`).
 */
const addressForms = (addresses: readonly (string | number)[]) =>
  addresses.flatMap((address) => (isIP(String(address)) === 4 ? [address, `::ffff:${address}`] : [address]));

/**
 * Each version 2 filter: the entries whose value is one of `values`. Ringmaster has no account names and
 * no zones, so those keep nothing (and their `.not` leaves out nothing); every change it logs succeeded.
 */
const V2_CONDITIONS: Record<V2Filter, (values: (string | number)[]) => AuditCondition> = {
  account_name: () => NEVER,
  action_result: (values) => (values.includes('success') ? ALWAYS : NEVER),
  action_type: labelled(ACTION_TYPE),
  actor_context: labelled(ACTOR_CONTEXT),
  actor_email: (values) =>
    oneOf(
      'actor_email',
      values.map((email) => String(email).toLowerCase()),
    ),
  actor_id: (values) => oneOf('actor_id', values),
  actor_ip_address: (values) => oneOf('actor_ip', addressForms(values)),
  actor_token_id: (values) => all([ACTOR_CONTEXT.api_token, oneOf('actor_id', values)]),
  actor_token_name: (values) => all([ACTOR_CONTEXT.api_token, oneOf('actor_name', values)]),
  actor_type: labelled(ACTOR_TYPE),
  audit_log_id: (values) =>
    oneOf(
      'id',
      values.map((id) => storedId(String(id))),
    ),
  id: (values) =>
    oneOf(
      'id',
      values.map((id) => storedId(String(id))),
    ),
  raw_cf_ray_id: (values) =>
    oneOf(
      'ray_id',
      values.map((ray) => storedRay(String(ray))),
    ),
  raw_method: (values) =>
    oneOf(
      'method',
      values.map((method) => String(method).toUpperCase()),
    ),
  raw_status_code: (values) => oneOf('status', values),
  raw_uri: (values) => oneOf('uri', values),
  resource_id: (values) => oneOf('resource_id', values),
  resource_product: labelled(PRODUCT),
  resource_type: (values) => oneOf('resource_type', values),
  resource_scope: labelled(RESOURCE_SCOPE),
  zone_id: () => NEVER,
  zone_name: () => NEVER,
};

/** Version 2: every filter given, and every exclusion, must hold. */
export function v2Condition(query: V2QueryValues, violations: Violation[]): AuditCondition {
  const conditions: AuditCondition[] = [];
  for (const [name, condition] of Object.entries(V2_CONDITIONS) as [
    V2Filter,
    (typeof V2_CONDITIONS)[V2Filter],
  ][]) {
    const only = query[name];
    const excluded = query[`${name}.not`];
    if (name === 'resource_product') {
      const products = [...(only ?? []), ...categoryProducts(query.product_category, violations)];
      if (only !== undefined || query.product_category !== undefined) conditions.push(condition(products));
    } else if (only !== undefined) {
      conditions.push(condition(only));
    }
    if (excluded !== undefined) conditions.push({ op: 'not', condition: condition(excluded) });
  }
  return all(conditions);
}

/** `product_category`: the products of each category, unioned with `resource_product`; unknown → 400. */
function categoryProducts(categories: (string | number)[] | undefined, violations: Violation[]): string[] {
  return (categories ?? []).flatMap((category, i) => {
    const products = PRODUCT_CATEGORIES[String(category).toLowerCase()];
    if (products === undefined) {
      violations.push({
        parameter: 'product_category',
        message: `product_category[${i}] must be one of ${Object.keys(PRODUCT_CATEGORIES).join(', ')}`,
      });
      return [];
    }
    return products;
  });
}

/**
 * Version 1's single-valued filters. `actor.ip` is an address or a CIDR range; a range is matched against
 * the addresses the account's entries hold (`addresses`), since neither backend compares addresses alike.
 */
export function v1Condition(query: V1QueryValues, addresses: readonly string[] | undefined): AuditCondition {
  const conditions: AuditCondition[] = [];
  if (query.id !== undefined) conditions.push(oneOf('id', [storedId(query.id)]));
  if (query['action.type'] !== undefined) conditions.push(oneOf('action', [query['action.type']]));
  if (query['actor.email'] !== undefined)
    conditions.push(oneOf('actor_email', [query['actor.email'].toLowerCase()]));
  if (query['zone.name'] !== undefined) conditions.push(NEVER);
  const ip = query['actor.ip'];
  if (ip !== undefined) {
    const range = cidr(ip);
    const matching = range === undefined ? addressForms([ip]) : (addresses ?? []).filter(range);
    conditions.push(oneOf('actor_ip', matching));
  }
  return all(conditions);
}

/** A CIDR range as a test of addresses (IPv4 ranges also hold their IPv4-mapped IPv6 forms); else undefined. */
export function cidr(text: string): ((address: string) => boolean) | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const family = match ? isIP(match[1] as string) : 0;
  const prefix = Number(match?.[2]);
  if (!match || family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  const range = new BlockList();
  range.addSubnet(match[1] as string, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return (address) => {
    const unmapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
    const kind = isIP(unmapped);
    return kind !== 0 && range.check(unmapped, kind === 4 ? 'ipv4' : 'ipv6');
  };
}

/** `actor.ip` must be an address or a CIDR range. */
export function checkActorIp(ip: string | undefined, violations: Violation[]): void {
  if (ip === undefined || isIP(ip) !== 0 || cidr(ip) !== undefined) return;
  violations.push({
    parameter: 'actor.ip',
    message: 'actor.ip must be an IP address or a CIDR range (10.0.0.0/8)',
  });
}

/** `since` / `before` (already valid RFC 3339) as stored timestamps; before 1970 is the epoch. */
export function timeBound(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const nanos = parseDateOrDateTime(text) ?? 0n;
  return formatTimestamp(nanos < 0n ? 0n : nanos);
}

/**
 * `since` must come before `before`, or nothing could match: a mistake worth saying. Compared as the
 * instants they name (already valid RFC 3339), not as the stored bounds, which clamp to the epoch.
 */
export function checkWindow(
  since: string | undefined,
  before: string | undefined,
  violations: Violation[],
): void {
  if (since === undefined || before === undefined) return;
  const [from, to] = [parseDateOrDateTime(since), parseDateOrDateTime(before)];
  if (from !== undefined && to !== undefined && from >= to) {
    violations.push({ parameter: 'before', message: 'before must be later than since' });
  }
}

// The version 2 cursor: opaque to clients, the seq of the last entry served. `rm1.` lets a cursor from
// elsewhere (Cloudflare's, a truncated one) be refused rather than misread.
const CURSOR_PREFIX = 'rm1.';

export function encodeCursor(seq: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, violations: Violation[]): number | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString();
  const seq = Number(text.slice(CURSOR_PREFIX.length));
  if (text.startsWith(CURSOR_PREFIX) && /^\d{1,15}$/.test(text.slice(CURSOR_PREFIX.length)) && seq >= 1)
    return seq;
  violations.push({ parameter: 'cursor', message: 'cursor must be result_info.cursor of an earlier page' });
  return undefined;
}

/** Throws the 400 with every violation found, if any. */
export function refuse(violations: Violation[]): void {
  if (violations.length > 0) throw validationError(violations);
}
