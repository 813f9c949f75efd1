// The test-mode control routes (docs/contract.md §8.6) under /ringmaster/v1/testing. They exist only in an
// app built in test mode, need an all-accounts Write credential, and are neither journaled nor faulted.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Envelope, ok } from '../http/envelope.ts';
import { rejectOtherMethods } from '../http/not-found.ts';
import { TESTING_PREFIX } from './journal.ts';
import type { TestMode } from './mode.ts';
import { FaultRule, FaultRuleInput, type Fixtures, fixturesSchema, JournalEntry, Seeded } from './model.ts';
import type { TestState } from './state.ts';

const TAGS = ['Test mode'];
const ONLY = 'Only when the server runs in test mode; needs an all-accounts Zero Trust Write credential.';
/** 8 MiB: a hundred accounts of a thousand groups is already more than a test needs. */
const SEED_BODY_BYTES = 8 * 1024 * 1024;
const Empty = Envelope(Type.Null());

const config = { auth: 'all-accounts' as const };
const operation = (operationId: string, summary: string) => ({
  operationId,
  summary,
  description: ONLY,
  tags: TAGS,
});

export function registerTestingRoutes(
  app: FastifyInstance,
  mode: TestMode,
  state: TestState,
  targetEnvironments: string[],
): void {
  registerStateRoutes(app, mode, state, targetEnvironments);
  registerJournalRoutes(app, mode);
  registerFaultRoutes(app, mode);
}

/** reset and seed: the store's state (and, for reset, the journal and the rules too). */
function registerStateRoutes(
  app: FastifyInstance,
  mode: TestMode,
  state: TestState,
  targetEnvironments: string[],
): void {
  app.post(
    `${TESTING_PREFIX}/reset`,
    {
      config,
      schema: {
        ...operation('testing-reset', 'Reset: everything gone but the credentials'),
        response: { 200: Empty },
      },
    },
    async () => {
      await state.reset();
      mode.journal.clear();
      mode.faults.clear();
      return ok(null);
    },
  );
  rejectOtherMethods(app, `${TESTING_PREFIX}/reset`, ['POST']);

  app.post<{ Body: Fixtures }>(
    `${TESTING_PREFIX}/seed`,
    {
      config,
      // A fixtures document may hold many groups; it comes from the test suite, not from a stranger.
      bodyLimit: SEED_BODY_BYTES,
      schema: {
        ...operation('testing-seed', 'Seed deployment groups from a fixtures document'),
        body: fixturesSchema(targetEnvironments),
        response: { 200: Envelope(Seeded) },
      },
    },
    async (request) => ok(await state.seed(request.body)),
  );
  rejectOtherMethods(app, `${TESTING_PREFIX}/seed`, ['POST']);
}

function registerJournalRoutes(app: FastifyInstance, mode: TestMode): void {
  const requests = `${TESTING_PREFIX}/requests`;
  app.get(
    requests,
    {
      config,
      schema: {
        ...operation('testing-list-requests', 'The request journal, oldest first'),
        response: { 200: Envelope(Type.Array(JournalEntry)) },
      },
    },
    async () => ok(mode.journal.list()),
  );
  app.delete(
    requests,
    {
      config,
      schema: {
        ...operation('testing-clear-requests', 'Clear the request journal'),
        response: { 200: Empty },
      },
    },
    async () => {
      mode.journal.clear();
      return ok(null);
    },
  );
  rejectOtherMethods(app, requests, ['GET', 'DELETE']);
}

function registerFaultRoutes(app: FastifyInstance, mode: TestMode): void {
  const faults = `${TESTING_PREFIX}/faults`;
  app.post<{ Body: FaultRuleInput }>(
    faults,
    {
      config,
      schema: {
        ...operation('testing-add-fault', 'Add a fault rule after the others'),
        body: FaultRuleInput,
        response: { 200: Envelope(FaultRule) },
      },
    },
    async (request) => ok(mode.faults.add(request.body)),
  );
  app.get(
    faults,
    {
      config,
      schema: {
        ...operation('testing-list-faults', 'The fault rules, in the order they are tried'),
        response: { 200: Envelope(Type.Array(FaultRule)) },
      },
    },
    async () => ok(mode.faults.list()),
  );
  app.delete(
    faults,
    {
      config,
      schema: { ...operation('testing-clear-faults', 'Remove every fault rule'), response: { 200: Empty } },
    },
    async () => {
      mode.faults.clear();
      return ok(null);
    },
  );
  rejectOtherMethods(app, faults, ['GET', 'POST', 'DELETE']);
}
