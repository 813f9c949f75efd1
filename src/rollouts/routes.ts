// HTTP in, plain data out: the rollout routes (docs/contract.md §8.5), Ringmaster's own, so under
// /ringmaster/v1 with the same envelope, errors, credentials and account isolation. Rules live in service.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestAudit } from '../audit/context.ts';
import { Envelope, EXTENSIONS_PREFIX, ok, okPage, PageEnvelope } from '../http/envelope.ts';
import { rejectOtherMethods } from '../http/not-found.ts';
import { pageRequest, resultInfo } from '../http/pagination.ts';
import { type CreateRolloutBody, type Creator, createRolloutBodySchema, Rollout } from './model.ts';
import {
  AccountParams,
  ROLLOUT_ACTIONS,
  type RolloutAction,
  RolloutListQuery,
  RolloutParams,
} from './schemas.ts';
import type { RolloutService } from './service.ts';

export const ROLLOUTS = `${EXTENSIONS_PREFIX}/accounts/:account_id/rollouts`;
const ITEM = `${ROLLOUTS}/:rollout_id`;
const TAGS = ['Rollouts'];

interface AccountRoute {
  Params: { account_id: string };
}
interface RolloutRoute {
  Params: { account_id: string; rollout_id: string };
}

const ACTION_SUMMARIES: Record<RolloutAction, string> = {
  pause: 'Pause a rollout: no stage applies until it is resumed',
  resume: 'Resume a paused rollout; due times move by the time it was paused',
  abort: 'Abort a rollout: its pending stages never apply; applied ones stay',
  rollback: 'Roll a rollout back: restore what each applied stage replaced, last stage first',
};

export function registerRolloutRoutes(
  app: FastifyInstance,
  service: RolloutService,
  targetEnvironments: string[],
): void {
  app.get<AccountRoute & { Querystring: RolloutListQuery & { page: number; per_page: number } }>(
    ROLLOUTS,
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'list-rollouts',
        summary: 'List rollouts, newest first',
        tags: TAGS,
        params: AccountParams,
        querystring: RolloutListQuery,
        response: { 200: PageEnvelope(Rollout) },
      },
    },
    async (request) => {
      const { page, per_page: perPage, state } = request.query;
      const { rollouts, total } = await service.list(
        request.params.account_id,
        pageRequest(page, perPage),
        state,
      );
      return okPage(rollouts, resultInfo(page, perPage, rollouts.length, total));
    },
  );

  app.post<AccountRoute & { Body: CreateRolloutBody }>(
    ROLLOUTS,
    {
      config: { auth: 'write' },
      schema: {
        operationId: 'create-rollout',
        summary: 'Create a rollout: versions taken through rings, stage by stage',
        tags: TAGS,
        params: AccountParams,
        body: createRolloutBodySchema(targetEnvironments),
        response: { 200: Envelope(Rollout) },
      },
    },
    async (request) => ok(await service.create(request.params.account_id, request.body, creator(request))),
  );

  app.get<RolloutRoute>(
    ITEM,
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'get-rollout',
        summary: 'Get a rollout',
        tags: TAGS,
        params: RolloutParams,
        response: { 200: Envelope(Rollout) },
      },
    },
    async (request) => ok(await service.get(request.params.account_id, request.params.rollout_id)),
  );

  registerActionRoutes(app, service);
  rejectOtherMethods(app, ROLLOUTS, ['GET', 'POST']);
  rejectOtherMethods(app, ITEM, ['GET']);
}

/** POST …/rollouts/{id}/pause, resume, abort and rollback. */
function registerActionRoutes(app: FastifyInstance, service: RolloutService): void {
  for (const action of ROLLOUT_ACTIONS) {
    app.post<RolloutRoute>(
      `${ITEM}/${action}`,
      {
        config: { auth: 'write' },
        schema: {
          operationId: `${action}-rollout`,
          summary: ACTION_SUMMARIES[action],
          tags: TAGS,
          params: RolloutParams,
          response: { 200: Envelope(Rollout) },
        },
      },
      async (request) =>
        ok(
          await service.act(
            request.params.account_id,
            request.params.rollout_id,
            action,
            requestAudit(request),
          ),
        ),
    );
    rejectOtherMethods(app, `${ITEM}/${action}`, ['POST']);
  }
}

/** The credential the request was authenticated with, as the rollout's `created_by`. */
function creator(request: FastifyRequest): Creator {
  const credential = request.credential;
  return {
    type: 'user',
    id: credential?.id ?? null,
    name: credential?.name ?? null,
    email: credential?.email ?? null,
  };
}
