// The clients area: its operations, in the order the CLI's help lists them.
import { createClient } from './create-client.ts';
import { deleteClient } from './delete-client.ts';
import { listClients } from './list-clients.ts';
import { revokePreviousClientSecret } from './revoke-previous-client-secret.ts';
import { rotateClientSecret } from './rotate-client-secret.ts';
import { showClient } from './show-client.ts';
import { updateClient } from './update-client.ts';

export const CLIENT_OPERATIONS = [
  createClient,
  listClients,
  showClient,
  updateClient,
  rotateClientSecret,
  revokePreviousClientSecret,
  deleteClient,
];
