// The clients an API names as its introspecting clients (resources.create and resources.update):
// each must be a registered client, so a typo cannot silently grant nothing, or later grant a
// client registered under that id.
import { unknownClientIds } from '../../storage/clients.ts';
import type { Queryable } from '../../storage/database.ts';
import { conflict, invalidInput } from '../operation/define.ts';

export async function assertIntrospectingClientsExist(db: Queryable, clientIds: readonly string[] | undefined): Promise<void> {
  const unknown = await unknownClientIds(db, clientIds ?? []);
  if (unknown.length > 0)
    throw invalidInput('introspectingClients', `no client is registered as ${unknown.map((id) => `"${id}"`).join(', ')}`);
}

/** A named client deleted between the check and the write (the foreign key refused it). */
export const introspectingClientGone = () => conflict('introspectingClients', 'a named client was deleted meanwhile; retry');
