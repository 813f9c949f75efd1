// The audit page's filters as the query of Cloudflare's version 2 audit log route (docs/contract.md §8.2),
// and how one entry reads. Pure: no DOM, tested without a browser (test/dashboard-history-text.test.ts).
//
// Version 2 rather than version 1: its cursor is exactly "load more" (page numbers would shift while new
// entries arrive), and it filters by token name, which is who a token-made change names (version 1 filters
// by email only, which only legacy keys have).
import type { AuditQuery } from './api.ts';
import type { AuditLog } from './wire.ts';

export interface AuditFilters {
  /** A ring's ID (the entry's resource id). */
  ring: string;
  /** An email (legacy key), a credential ID, or a token name (see personParameter). */
  person: string;
  /** '' (any), 'create', 'update' (a revert is an update in version 2) or 'delete'. */
  action: string;
  /** Days, `YYYY-MM-DD`, both inclusive (UTC). */
  from: string;
  to: string;
}

export const PAGE_SIZE = 25;
const DAY = 24 * 3600 * 1000;
/** The range the page opens with: the last 30 days. */
const DEFAULT_DAYS = 30;

export function defaultFilters(now: number = Date.now()): AuditFilters {
  return { ring: '', person: '', action: '', from: day(now - (DEFAULT_DAYS - 1) * DAY), to: day(now) };
}

function day(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** The query for one page: `since`/`before` are required by version 2; `before` is the day after `to`. */
export function auditQuery(filters: AuditFilters, cursor: string | null, limit = PAGE_SIZE): AuditQuery {
  const query: AuditQuery = [
    ['since', filters.from],
    ['before', day(Date.parse(`${filters.to}T00:00:00Z`) + DAY)],
    ['limit', String(limit)],
  ];
  const ring = filters.ring.trim();
  if (ring) query.push(['resource_id', ring]);
  const person = filters.person.trim();
  if (person) query.push([personParameter(person), person]);
  if (filters.action) query.push(['action_type', filters.action]);
  if (cursor) query.push(['cursor', cursor]);
  return query;
}

const CREDENTIAL_ID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * Which filter a person is: an email (a legacy key), a credential's ID (everything it did, the dashboard
 * included), else a token's name — which version 2 names only for changes made through the API, so the
 * page's "Only this person" uses the ID.
 */
export function personParameter(person: string): string {
  if (person.includes('@')) return 'actor_email';
  return CREDENTIAL_ID.test(person) ? 'actor_id' : 'actor_token_name';
}

/** Who made the change: the token's name, a key's email, or what kind of actor it was. */
export function auditActor(entry: AuditLog): string {
  const { actor } = entry;
  if (actor.token_name) return actor.token_name;
  if (actor.email) return actor.email;
  // Version 2 names a token only for its API changes; through the dashboard it gives the ID alone.
  if (actor.id && actor.type === 'user') return `credential ${actor.id}`;
  if (actor.type === 'system') return 'Ringmaster';
  if (actor.type === 'cloudflare_admin') return 'the operator';
  return actor.type;
}

const CONTEXTS: Record<string, string> = { dash: 'the dashboard', api_token: 'the API', api_key: 'the API' };

/** Through what: the dashboard, the API (a token or a key), or Ringmaster itself. */
export function auditInterface(entry: AuditLog): string {
  const { actor } = entry;
  if (actor.context) return CONTEXTS[actor.context] ?? actor.context;
  return actor.type === 'system' ? 'a rollout' : actor.type === 'cloudflare_admin' ? 'the command line' : '';
}

/** A ring's name as the entry recorded it after the change (a deletion records none). */
export function auditRingName(entry: AuditLog): string | null {
  const name = entry.resource.response?.name;
  return typeof name === 'string' ? name : null;
}

/** Whether the entry is a ring's deletion, which the page offers to undo. */
export function isRingDeletion(entry: AuditLog): boolean {
  return entry.action.type === 'delete' && entry.resource.type === 'deployment_group';
}
