// HTTP in, plain data out: Cloudflare's two account audit-log routes (docs/contract.md §8.2), at Cloudflare's
// paths and in its shapes. Zero Trust Read suffices. The rules are in service.ts.
import type { FastifyInstance } from 'fastify';
import { AccountParams } from '../deployment-groups/schemas.ts';
import { API_PREFIX } from '../http/envelope.ts';
import { rejectOtherMethods } from '../http/not-found.ts';
import {
  V1Envelope,
  V1Query,
  type V1QueryValues,
  V2Envelope,
  V2Query,
  type V2QueryValues,
} from './schemas.ts';
import type { AuditLogService } from './service.ts';

const V1 = `${API_PREFIX}/accounts/:account_id/audit_logs`;
const V2 = `${API_PREFIX}/accounts/:account_id/logs/audit`;
const TAGS = ['Audit Logs'];

interface AccountRoute {
  Params: { account_id: string };
}

export function registerAuditLogRoutes(app: FastifyInstance, service: AuditLogService): void {
  app.get<AccountRoute & { Querystring: V1QueryValues }>(
    V1,
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'audit-logs-get-account-audit-logs',
        summary: 'Get account audit logs (version 1)',
        tags: TAGS,
        params: AccountParams,
        querystring: V1Query,
        response: { 200: V1Envelope },
      },
    },
    async (request) => {
      const { result, result_info } = await service.listV1(request.params.account_id, request.query);
      return { success: true, errors: [], messages: [], result, result_info };
    },
  );

  app.get<AccountRoute & { Querystring: V2QueryValues }>(
    V2,
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'audit-logs-v2-get-account-audit-logs',
        summary: 'Get account audit logs (version 2)',
        tags: TAGS,
        params: AccountParams,
        querystring: V2Query,
        response: { 200: V2Envelope },
      },
    },
    async (request) => {
      const { result, result_info } = await service.listV2(request.params.account_id, request.query);
      return { success: true, errors: [], messages: [], result, result_info };
    },
  );

  rejectOtherMethods(app, V1, ['GET']);
  rejectOtherMethods(app, V2, ['GET']);
}
