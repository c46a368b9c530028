// The keys area (the signing keys): its operations, in the order the CLI's help lists them.
import { listKeys } from './list-keys.ts';
import { rotateKeys } from './rotate-keys.ts';

export const KEY_OPERATIONS = [listKeys, rotateKeys];
