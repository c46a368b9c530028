// The shapes of what operations answer, declared once in zod: TypeScript types come from them
// (z.output), and so do the JSON Schemas of the OpenAPI document's components (zod 4 exports JSON
// Schema). An answer schema is named by `answer(id, ...)`; a schema nested in another named one
// becomes a `$ref` to it.
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

const ANSWERS = z.registry<{ id: string }>();
const NAMES = new Set<string>();

/** Names an operation's answer schema: `id` is its component name in the OpenAPI document. */
export function answer<Schema extends z.ZodType>(id: string, schema: Schema): Schema {
  // Two answers under one name would make the document describe one of them wrongly.
  if (NAMES.has(id) || ANSWERS.has(schema)) throw new Error(`answer schema "${id}" is named twice`);
  NAMES.add(id);
  ANSWERS.add(schema, { id });
  return schema;
}

/** The component name of a named answer schema (undefined for one never named). */
export const answerId = (schema: z.ZodType): string | undefined => ANSWERS.get(schema)?.id;

/** A timestamp as the admin API writes it: ISO 8601 in UTC (`Date#toISOString`). */
export const dateTime = z.iso.datetime();

/** A page of a listing (pagination.ts), named `id`. */
export const pageOf = <Item extends z.ZodType>(id: string, item: Item) =>
  answer(
    id,
    z.object({
      items: z.array(item),
      nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page'),
    }),
  );

/** Every named answer as JSON Schema 2020-12, `$ref`s pointing at `#/components/schemas/<id>`. */
export function answerJsonSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(ANSWERS, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
      return [id, rest];
    }),
  );
}
