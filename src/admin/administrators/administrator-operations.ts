// The administrators area: the first administrators, made from the command line (CLI only).
import { bootstrapAdmin } from './bootstrap-admin.ts';

export const ADMINISTRATOR_OPERATIONS = [bootstrapAdmin];
