// HTTP in, plain data out: the version targets (docs/contract.md §8.4), Ringmaster's own, so under
// /ringmaster/v1. Any credential that may read the account reads them, and so does one limited to them
// (`targets`). Answers come from memory (cache.ts); the rule is in resolution.ts.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountParams } from '../deployment-groups/schemas.ts';
import { validationError } from '../errors.ts';
import { parseCondition } from '../http/conditional.ts';
import { Envelope, EXTENSIONS_PREFIX, ok } from '../http/envelope.ts';
import { rejectOtherMethods } from '../http/not-found.ts';
import type { TargetsCache } from './cache.ts';
import { documentStream } from './document.ts';
import {
  NullableTarget,
  ResolveBody,
  type ResolveBody as ResolveBodyType,
  TargetsDocument,
  TargetsQuerystring,
} from './model.ts';
import type { AccountTargets, Resolution } from './resolution.ts';

const TARGETS = `${EXTENSIONS_PREFIX}/accounts/:account_id/version-targets`;
const RESOLVE = `${TARGETS}/resolve`;
const TAGS = ['Version Targets'];
/** What Fastify's own serializer would have set; the two answers serialized here set it themselves. */
const JSON_TYPE = 'application/json; charset=utf-8';

interface AccountRoute {
  Params: { account_id: string };
}

export function registerVersionTargetRoutes(
  app: FastifyInstance,
  cache: TargetsCache,
  environments: readonly string[],
): void {
  app.get<AccountRoute & { Querystring: { policy_id?: string; target_environment?: string } }>(
    TARGETS,
    {
      config: { auth: 'targets' },
      schema: {
        operationId: 'get-version-targets',
        summary:
          'With policy_id and target_environment: the version a device should get (result null, with a message, if none). Without: every held policy’s targets as one document, with a strong ETag',
        tags: TAGS,
        params: AccountParams,
        querystring: TargetsQuerystring(environments),
        response: { 200: Envelope(Type.Union([NullableTarget, TargetsDocument])) },
      },
    },
    async (request, reply) => {
      const { policy_id: policyId, target_environment: environment } = request.query;
      const targets = await cache.get(request.params.account_id);
      if (policyId === undefined && environment === undefined) return sendDocument(request, reply, targets);
      if (policyId === undefined || environment === undefined) throw missingPair(policyId === undefined);
      const resolution = targets.resolve(policyId, environment);
      // The answer is built here in a known shape: plain JSON.stringify spares the union's serializer.
      return reply.type(JSON_TYPE).serializer(JSON.stringify).send(single(resolution));
    },
  );

  app.post<AccountRoute & { Body: ResolveBodyType }>(
    RESOLVE,
    {
      config: { auth: 'targets' },
      schema: {
        operationId: 'resolve-version-targets',
        summary: 'Answer 1–1000 version-target queries at once, in their order',
        tags: TAGS,
        params: AccountParams,
        body: ResolveBody(environments),
        response: { 200: Envelope(Type.Array(NullableTarget)) },
      },
    },
    async (request) => {
      const targets = await cache.get(request.params.account_id);
      const messages: { code: number; message: string }[] = [];
      const results = request.body.queries.map((query, index) => {
        const { target, message } = targets.resolve(query.policy_id, query.target_environment);
        if (message) messages.push({ code: message.code, message: `queries[${index}]: ${message.message}` });
        return target;
      });
      return { ...ok(results), messages };
    },
  );

  rejectOtherMethods(app, TARGETS, ['GET']);
  rejectOtherMethods(app, RESOLVE, ['POST']);
}

function single({ target, message }: Resolution) {
  return message ? { ...ok(null), messages: [message] } : ok(target);
}

function missingPair(policyMissing: boolean) {
  return validationError([
    policyMissing
      ? { parameter: 'policy_id', message: 'policy_id is required with target_environment' }
      : { parameter: 'target_environment', message: 'target_environment is required with policy_id' },
  ]);
}

/** The document, or 304 when If-None-Match names its tag (weak comparison, as for a group's GET). */
function sendDocument(request: FastifyRequest, reply: FastifyReply, targets: AccountTargets) {
  const condition = parseCondition(request, 'if-none-match');
  reply.header('etag', targets.etag);
  if (condition === '*' || condition?.some(({ tag }) => tag === targets.etag)) {
    return reply.code(304).send();
  }
  return reply.type(JSON_TYPE).send(documentStream(targets));
}
