// Reading the audit trail (docs/contract.md §8.2): an account's entries through Cloudflare's two audit-log
// routes, and every entry for the operator's `ringmaster audit list`. Entries of a credential that grants
// every account (account_id NULL) appear in every account's log: such a credential can act on the account,
// so its creation and revocation belong to the account's trail (version 1 `hide_user_logs` and version 2
// `resource_scope.not=user` leave them out).
import type { Violation } from '../errors.ts';
import type { AuditQuery } from '../store/audit-query.ts';
import type { Store } from '../store/store.ts';
import { toV1, toV2 } from './cloudflare.ts';
import {
  checkActorIp,
  checkWindow,
  cidr,
  decodeCursor,
  encodeCursor,
  refuse,
  timeBound,
  v1Condition,
  v2Condition,
} from './filters.ts';
import type { AuditEntry } from './model.ts';
import type { V1QueryValues, V2QueryValues } from './schemas.ts';

export class AuditLogService {
  constructor(private readonly store: Store) {}

  /**
   * Version 1 pages by number. A page past the end is empty: the official SDK stops only on an empty
   * page (test/fixtures/cloudflare/README.md).
   */
  async listV1(accountId: string, query: V1QueryValues) {
    const violations: Violation[] = [];
    checkActorIp(query['actor.ip'], violations);
    checkWindow(query.since, query.before, violations);
    const since = timeBound(query.since);
    const before = timeBound(query.before);
    refuse(violations);
    const scope = { accountId, withUnscoped: !query.hide_user_logs };
    const ip = query['actor.ip'];
    const addresses = ip !== undefined && cidr(ip) ? await this.store.listAuditAddresses(scope) : undefined;
    const entries = await this.store.listAuditEntries({
      scope,
      since,
      before,
      where: v1Condition(query, addresses),
      direction: query.direction,
      // Past the largest safe offset no page can hold anything; the store answers an empty one.
      offset: Math.min((query.page - 1) * query.per_page, Number.MAX_SAFE_INTEGER - query.per_page),
      limit: query.per_page,
    });
    return {
      result: entries.map((entry) => toV1(entry, accountId)),
      result_info: { page: query.page, per_page: query.per_page, count: entries.length },
    };
  }

  /**
   * Version 2 pages by cursor. One entry more than `limit` is read to know whether another page exists:
   * the last page has no cursor, so the SDK's auto-pagination ends without an extra request.
   */
  async listV2(accountId: string, query: V2QueryValues) {
    const violations: Violation[] = [];
    checkWindow(query.since, query.before, violations);
    const since = timeBound(query.since);
    const before = timeBound(query.before);
    const afterSeq = decodeCursor(query.cursor, violations);
    const where = v2Condition(query, violations);
    refuse(violations);
    const entries = await this.store.listAuditEntries({
      scope: { accountId, withUnscoped: true },
      since,
      before,
      where,
      direction: query.direction,
      afterSeq,
      limit: query.limit + 1,
    });
    const page = entries.slice(0, query.limit);
    const last = page.at(-1);
    const cursor = entries.length > query.limit && last ? encodeCursor(last.seq) : undefined;
    return {
      result: page.map((entry) => toV2(entry, accountId)),
      // The spec's `cursor` and, for the official SDK, `cursors.after`: the same value.
      result_info: { count: String(page.length), ...(cursor ? { cursor, cursors: { after: cursor } } : {}) },
    };
  }

  /** Every entry the store holds (or one account's), newest first: the operator's view. */
  async listAll(query: Omit<AuditQuery, 'direction'>): Promise<AuditEntry[]> {
    return this.store.listAuditEntries({ ...query, direction: 'desc' });
  }
}
