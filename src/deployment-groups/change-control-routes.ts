// History, revert and preview (docs/contract.md §8.3): Ringmaster's own, so under /ringmaster/v1, with the
// same envelope, errors, credentials and account isolation as the Cloudflare routes. Rules live in
// change-control.ts.
import type { FastifyInstance } from 'fastify';
import { Envelope, EXTENSIONS_PREFIX, ok, okPage, PageEnvelope } from '../http/envelope.ts';
import { rejectOtherMethods } from '../http/not-found.ts';
import { PageQuery, pageRequest, resultInfo } from '../http/pagination.ts';
import type { ChangeControl } from './change-control.ts';
import { DeploymentGroup } from './model.ts';
import { withTag, writeOptions } from './routes.ts';
import {
  AccountParams,
  GroupParams,
  HistoryEntry,
  PreviewBody,
  type PreviewBody as PreviewBodyType,
  PreviewResult,
  RevertBody,
  type RevertBody as RevertBodyType,
} from './schemas.ts';

const COLLECTION = `${EXTENSIONS_PREFIX}/accounts/:account_id/deployment-groups`;
const HISTORY = `${COLLECTION}/:group_id/history`;
const REVERT = `${COLLECTION}/:group_id/revert`;
const PREVIEW = `${COLLECTION}/preview`;
const TAGS = ['Deployment Group Change Control'];

interface GroupRoute {
  Params: { account_id: string; group_id: string };
}

export function registerChangeControlRoutes(app: FastifyInstance, changes: ChangeControl): void {
  app.get<GroupRoute & { Querystring: { page: number; per_page: number } }>(
    HISTORY,
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'deployment-group-history',
        summary: 'List a deployment group’s revisions, newest first (also after its deletion)',
        tags: TAGS,
        params: GroupParams,
        querystring: PageQuery,
        response: { 200: PageEnvelope(HistoryEntry) },
      },
    },
    async (request) => {
      const { page, per_page: perPage } = request.query;
      const { limit, offset } = pageRequest(page, perPage);
      const { account_id: accountId, group_id: groupId } = request.params;
      const { entries, total } = await changes.history(accountId, groupId, limit, offset);
      return okPage(entries, resultInfo(page, perPage, entries.length, total));
    },
  );

  app.post<GroupRoute & { Body: RevertBodyType }>(
    REVERT,
    {
      config: { auth: 'write' },
      schema: {
        operationId: 'revert-deployment-group',
        summary: 'Make a deployment group what it was at a revision, as a new revision (honours If-Match)',
        tags: TAGS,
        params: GroupParams,
        body: RevertBody,
        response: { 200: Envelope(DeploymentGroup) },
      },
    },
    async (request, reply) => {
      const { account_id: accountId, group_id: groupId } = request.params;
      const reverted = await changes.revert(accountId, groupId, request.body.revision, writeOptions(request));
      return withTag(reply, reverted);
    },
  );

  app.post<{ Params: { account_id: string }; Body: PreviewBodyType }>(
    PREVIEW,
    {
      config: { auth: 'write' },
      schema: {
        operationId: 'preview-deployment-group-change',
        summary: 'Answer what a create, update or delete would answer now, without writing anything',
        tags: TAGS,
        params: AccountParams,
        body: PreviewBody,
        response: { 200: Envelope(PreviewResult) },
      },
    },
    async (request) =>
      ok(await changes.preview(request.params.account_id, request.body, writeOptions(request))),
  );

  rejectOtherMethods(app, HISTORY, ['GET']);
  rejectOtherMethods(app, REVERT, ['POST']);
  rejectOtherMethods(app, PREVIEW, ['POST']);
}
