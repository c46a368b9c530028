// resources.create: register a resource server (an API) with its scopes and registry entry.
import { findResourceServer, insertResourceServer } from '../../storage/resource-servers.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { adminChange, conflict, defineOperation, sqlState } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { assertIntrospectingClientsExist, introspectingClientGone } from './introspecting-clients.ts';
import { registryFlags } from './resource-flags.ts';
import { addYears, resourceCreateInput } from './resource-input.ts';
import {
  printResourceServer,
  resourceServerAnswer,
  resourceServerLocation,
  resourceServerTag,
  today,
  toResourceView,
  viewerOf,
  type ResourceServerView,
} from './resource-view.ts';

export const createResource = defineOperation({
  name: 'resources.create',
  summary: 'register a resource server (an API): its scopes, owner, purpose, classification, live and review dates',
  input: resourceCreateInput,
  output: resourceServerAnswer,
  http: {
    method: 'POST',
    path: '/resources',
    scopes: [ADMIN_SCOPES.write],
    body: 'json',
    status: 201,
    location: resourceServerLocation,
    etag: resourceServerTag,
    errors: [...BODY_ERRORS, 409],
    summary:
      "Register a resource server (an API): its scopes, owner, purpose, classification (public | internal | confidential | restricted), live date and next review date (YYYY-MM-DD; default a year on), and its introspecting clients (the only clients besides a token's own that may introspect its access tokens)",
  },
  cli: {
    command: 'resources create',
    summary: 'register a resource server (an API): its scopes and registry entry',
    flags: {
      identifier: {
        type: 'string',
        value: 'uri',
        help: 'absolute URI naming the API: the audience of its tokens (required)',
        field: 'identifier',
      },
      ...registryFlags,
      name: { ...registryFlags.name, help: 'display name (default: the identifier)' },
      'next-review-date': { ...registryFlags['next-review-date'], help: 'when the API is next due for review (default: a year on)' },
    },
    examples: [
      'portcullis resources create --identifier https://api.example.com --name "Example API" --scope read --scope "write=Change things" \\\n' +
        '      --owner "Payments team <payments@example.com>" --classification confidential --live-date 2025-03-01 --next-review-date 2026-03-01',
    ],
    print(server, output) {
      output.out('Created resource server');
      printResourceServer(server, output);
    },
  },
  async run(ctx, input): Promise<ResourceServerView> {
    const exists = () => conflict('identifier', `a resource server "${input.identifier}" already exists`);
    if (await findResourceServer(ctx.db, input.identifier)) throw exists();
    await assertIntrospectingClientsExist(ctx.db, input.introspectingClients);
    const day = today(ctx);
    // Every API comes up for review: by default a year after it is registered or goes live.
    const nextReviewDate = input.nextReviewDate ?? addYears(input.liveDate && input.liveDate > day ? input.liveDate : day, 1);
    try {
      const created = await adminChange(ctx, async (tx) => {
        const result = await insertResourceServer(tx, {
          identifier: input.identifier,
          name: input.name ?? input.identifier,
          description: input.description,
          owner: input.owner ?? null,
          purpose: input.purpose,
          classification: input.classification ?? null,
          liveDate: input.liveDate ?? null,
          nextReviewDate,
          scopes: input.scopes,
          tokenTtl: input.tokenTtl,
          tokenAlg: input.tokenAlg,
          introspectingClients: input.introspectingClients,
        });
        const details = {
          scopes: input.scopes.map((scope) => scope.name),
          tokenTtl: input.tokenTtl,
          tokenAlg: result.tokenAlg,
          owner: result.owner,
          classification: result.classification,
          liveDate: result.liveDate,
          nextReviewDate: result.nextReviewDate,
          ...(result.introspectingClients.length > 0 ? { introspectingClients: result.introspectingClients } : {}),
        };
        return { result, event: { type: 'resource.created', target: { type: 'resource', id: input.identifier }, details } };
      });
      return toResourceView(created, viewerOf(ctx));
    } catch (error) {
      if (sqlState(error) === '23505') throw exists();
      if (sqlState(error) === '23503') throw introspectingClientGone();
      throw error;
    }
  },
});
