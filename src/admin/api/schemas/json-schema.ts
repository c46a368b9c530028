// Small builders for the JSON Schemas (2020-12) of the admin API's answers.
export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const string: Schema = { type: 'string' };
export const dateTime: Schema = { type: 'string', format: 'date-time' };
export const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });
export const strings: Schema = { type: 'array', items: string };
export const object = (properties: Record<string, Schema>, optional: readonly string[] = []): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((name) => !optional.includes(name)),
  additionalProperties: false,
});
export const list = (name: string): Schema => ({ type: 'array', items: ref(name) });
/** `base` with more properties, still closed to any other. */
export const extend = (base: Schema, properties: Record<string, Schema>, optional: readonly string[] = []): Schema => {
  return {
    ...base,
    properties: { ...(base.properties as Record<string, Schema>), ...properties },
    required: [...(base.required as string[]), ...Object.keys(properties).filter((name) => !optional.includes(name))],
    additionalProperties: false,
  };
};
/** A page of a listing (operations/pagination.ts). */
export const page = (name: string): Schema =>
  object({
    items: list(name),
    nextCursor: { ...nullable(string), description: 'pass as cursor for the next page; null on the last page' },
  });
