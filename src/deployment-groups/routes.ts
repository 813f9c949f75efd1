// HTTP in, plain data out: the five Deployment Groups operations (docs/contract.md §1). Rules live in service.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestAudit } from '../audit/context.ts';
import { etagOf, idempotencyKey, noneMatchFails, parseCondition } from '../http/conditional.ts';
import {
  API_PREFIX,
  Envelope,
  JSON_CONTENT_TYPE,
  ok,
  okJson,
  okPageJson,
  PageEnvelope,
} from '../http/envelope.ts';
import { rejectOtherMethods } from '../http/not-found.ts';
import { PageQuery, pageRequest, resultInfo } from '../http/pagination.ts';
import type { GroupWire, GroupWirePage, StoredGroup } from '../store/store.ts';
import {
  type CreateBody,
  createBodySchema,
  DeploymentGroup,
  type UpdateBody,
  updateBodySchema,
} from './model.ts';
import { AccountParams, DeletedSchema, GroupParams } from './schemas.ts';
import type { DeploymentGroupService, WriteOptions } from './service.ts';

const COLLECTION = `${API_PREFIX}/accounts/:account_id/devices/deployment-groups`;
const TAGS = ['Deployment Groups'];
const ITEM = `${COLLECTION}/:group_id`;

interface AccountRoute {
  Params: { account_id: string };
}
interface GroupRoute {
  Params: { account_id: string; group_id: string };
}

/**
 * The five routes, each a schema declaration and a one-line call into the service. Longer than our usual
 * function on purpose: read together they are the API's table of contents, and split apart they would
 * only be harder to compare with docs/contract.md §1.
 */
export function registerDeploymentGroupRoutes(
  app: FastifyInstance,
  service: DeploymentGroupService,
  targetEnvironments: string[],
): void {
  registerCollectionRoutes(app, service, targetEnvironments);
  registerItemRoutes(app, service, targetEnvironments);
  rejectOtherMethods(app, COLLECTION, ['GET', 'POST']);
  rejectOtherMethods(app, ITEM, ['GET', 'PATCH', 'DELETE']);
}

/** List and create. */
function registerCollectionRoutes(
  app: FastifyInstance,
  service: DeploymentGroupService,
  targetEnvironments: string[],
): void {
  app.get<AccountRoute & { Querystring: { page: number; per_page: number } }>(
    COLLECTION,
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'list-deployment-groups',
        summary: 'List deployment groups',
        tags: TAGS,
        params: AccountParams,
        querystring: PageQuery,
        response: { 200: PageEnvelope(DeploymentGroup) },
      },
    },
    async (request, reply) => {
      const { page, per_page: perPage } = request.query;
      const { limit, offset } = pageRequest(page, perPage);
      const wires = await service.listGroupWires(request.params.account_id, limit, offset);
      // Stored bytes in a template, instead of the schema's serializer (test/read-wire.test.ts holds the
      // two to the same bytes); the response schema stays, for the OpenAPI document. The page object
      // stands for (account, limit, offset) as read, so its body is made once per object.
      reply.type(JSON_CONTENT_TYPE);
      return bodyOf(wires, () =>
        okPageJson(wires.groups, resultInfo(page, perPage, wires.groups.length, wires.total)),
      );
    },
  );

  app.post<AccountRoute & { Body: CreateBody }>(
    COLLECTION,
    {
      config: { auth: 'write' },
      schema: {
        operationId: 'create-deployment-group',
        summary: 'Create deployment group',
        tags: TAGS,
        params: AccountParams,
        body: createBodySchema(targetEnvironments),
        response: { 200: Envelope(DeploymentGroup) },
      },
    },
    async (request, reply) => {
      const key = idempotencyKey(request);
      const idempotency =
        key === undefined
          ? undefined
          : { key, credentialId: request.credential?.id as string, body: request.body };
      const created = await service.createDeploymentGroup(
        request.params.account_id,
        request.body,
        writeOptions(request),
        idempotency,
      );
      if (created.replayed) reply.code(created.status).header('idempotent-replayed', 'true');
      return withTag(reply, created.stored);
    },
  );
}

/** Get, update and delete one group. */
function registerItemRoutes(
  app: FastifyInstance,
  service: DeploymentGroupService,
  targetEnvironments: string[],
): void {
  app.get<GroupRoute>(
    ITEM,
    {
      config: { auth: 'read' },
      schema: {
        operationId: 'get-deployment-group',
        summary: 'Get deployment group',
        tags: TAGS,
        params: GroupParams,
        response: { 200: Envelope(DeploymentGroup) },
      },
    },
    async (request, reply) => {
      const ifNoneMatch = parseCondition(request, 'if-none-match');
      const wire = await service.getGroupWire(request.params.account_id, request.params.group_id);
      reply.header('etag', etagOf(wire));
      if (noneMatchFails(ifNoneMatch, wire)) return reply.code(304).send();
      // As the list: stored bytes in the envelope's template.
      reply.type(JSON_CONTENT_TYPE);
      return bodyOf(wire, () => okJson(wire.json));
    },
  );

  app.patch<GroupRoute & { Body: UpdateBody }>(
    ITEM,
    {
      config: { auth: 'write' },
      schema: {
        operationId: 'update-deployment-group',
        summary: 'Update deployment group',
        tags: TAGS,
        params: GroupParams,
        body: updateBodySchema(targetEnvironments),
        response: { 200: Envelope(DeploymentGroup) },
      },
    },
    async (request, reply) => {
      const { account_id: accountId, group_id: groupId } = request.params;
      return withTag(
        reply,
        await service.updateDeploymentGroup(accountId, groupId, request.body, writeOptions(request)),
      );
    },
  );

  app.delete<GroupRoute>(
    ITEM,
    {
      config: { auth: 'write' },
      schema: {
        operationId: 'delete-deployment-group',
        summary: 'Delete deployment group',
        tags: TAGS,
        params: GroupParams,
        response: { 200: Envelope(DeletedSchema) },
      },
    },
    async (request) => {
      const { account_id: accountId, group_id: groupId } = request.params;
      return ok(await service.deleteDeploymentGroup(accountId, groupId, writeOptions(request)));
    },
  );
}

/**
 * A response body made once per object the store hands out: the SQLite store hands out the same group or
 * page while nothing was committed (store/wire-cache.ts), so a repeated read sends the same bytes with no
 * joining, copying or UTF-8 encoding (and no garbage); other objects are new per read and go with it.
 */
const bodies = new WeakMap<GroupWire | GroupWirePage, Buffer>();

function bodyOf(read: GroupWire | GroupWirePage, make: () => string): Buffer {
  let body = bodies.get(read);
  if (body === undefined) {
    body = Buffer.from(make());
    bodies.set(read, body);
  }
  return body;
}

/** The write's audit context and If-Match, read from the request. */
export function writeOptions(request: FastifyRequest): WriteOptions {
  return { audit: requestAudit(request), ifMatch: parseCondition(request, 'if-match') };
}

/** A 200 carrying one group: its envelope, and its ETag (docs/contract.md §8.1). */
export function withTag(reply: FastifyReply, stored: StoredGroup) {
  reply.header('etag', etagOf(stored));
  return ok(stored.group);
}
