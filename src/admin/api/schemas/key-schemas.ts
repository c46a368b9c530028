import { dateTime, list, nullable, object, string } from './json-schema.ts';

export const KEY_SCHEMAS = {
  SigningKey: object({
    kid: string,
    alg: string,
    state: { enum: ['next', 'current', 'retired'] },
    createdAt: dateTime,
    activatedAt: nullable(dateTime),
    retiredAt: nullable(dateTime),
    removeAfter: nullable(dateTime),
  }),
  SigningKeyList: list('SigningKey'),
};
