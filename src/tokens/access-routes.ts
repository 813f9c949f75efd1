// GET /ringmaster/v1/accounts/{account_id}/access (docs/contract.md §8.0): what the presented credential
// may do on that account. Cloudflare has no such route; the dashboard asks it so that a read-only token is
// never shown buttons that could only be refused after the user has filled in a form.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AccountParams } from '../deployment-groups/schemas.ts';
import { Envelope, EXTENSIONS_PREFIX, ok } from '../http/envelope.ts';
import { rejectOtherMethods } from '../http/not-found.ts';
import type { Credential } from './model.ts';
import { grants } from './service.ts';

const ACCESS = `${EXTENSIONS_PREFIX}/accounts/:account_id/access`;

export const Access = Type.Object({
  read: Type.Boolean({
    description: 'May list and get this account’s deployment groups (always true here).',
  }),
  write: Type.Boolean({ description: 'May also create, update and delete them (Zero Trust Write).' }),
  all_accounts: Type.Boolean({ description: 'The credential is granted every account, not a list.' }),
});
export type Access = Static<typeof Access>;

export function registerAccessRoutes(app: FastifyInstance): void {
  app.get<{ Params: { account_id: string } }>(
    ACCESS,
    {
      // Read is the least any answer needs: a credential without the account gets the same 403 as on
      // every other route, so this route tells nobody more about an account than listing its groups would.
      config: { auth: 'read' },
      schema: {
        operationId: 'get-account-access',
        summary: 'What the presented credential may do on this account',
        tags: ['Ringmaster'],
        params: AccountParams,
        response: { 200: Envelope(Access) },
      },
    },
    async (request) => {
      // The auth hook has set the credential, or answered already.
      const credential = request.credential as Credential;
      const account = request.params.account_id;
      const access: Access = {
        read: grants(credential, account, 'read'),
        write: grants(credential, account, 'write'),
        all_accounts: credential.accounts === null,
      };
      return ok(access);
    },
  );
  rejectOtherMethods(app, ACCESS, ['GET']);
}
