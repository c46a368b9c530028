// The admin API's endpoints, read from its published OpenAPI document (itself generated from the
// route table and the operations' zod input schemas): every path, method, path, query and header
// parameter and JSON body property, with plausible values drawn from each property's schema.
import fc from 'fast-check';
import type { Endpoint, Parameter } from './endpoint.ts';
import { encodedRef, ref } from './fuzz-values.ts';

type Schema = Record<string, unknown>;

const PASSWORD = 'correct horse battery staple';

/** A plausible string for a property, by its name (ids, URIs, dates, emails...). */
function stringByName(name: string): fc.Arbitrary<string> {
  const lower = name.toLowerCase();
  if (lower.includes('email') || lower === 'user' || lower === 'userid')
    return fc.constantFrom(ref('victimUserEmail'), ref('victimUserId'), ref('userEmail'), 'nobody@example.com');
  if (lower.includes('clientid')) return fc.constantFrom(ref('victimClientId'), ref('clientId'), 'no-such-client');
  if (lower.includes('uri') || lower === 'identifier' || lower === 'resources')
    return fc.constantFrom(
      ref('victimResource'),
      ref('api'),
      'https://new.example/api',
      'http://127.0.0.1:8080/callback',
      'http://169.254.169.254/',
    );
  if (lower.includes('date') || lower === 'since' || lower === 'until')
    return fc.constantFrom('2030-01-01', '2020-02-30', '2026-12-31T00:00:00Z', 'yesterday');
  if (lower.includes('password')) return fc.constantFrom(PASSWORD, 'short', 'password');
  if (lower === 'type') return fc.constantFrom('login.failure', 'admin.*', 'client.created', 'A.B');
  if (lower === 'scopes' || lower === 'scope') return fc.constantFrom('read', 'write', 'admin:users', 'openid');
  if (lower === 'cursor') return fc.constantFrom('', 'abc', 'eyJ4IjoxfQ');
  return fc.string({ maxLength: 30 });
}

/** A value that satisfies (or nearly satisfies) a JSON Schema, bounded in depth. */
function schemaValue(schema: Schema, name: string, depth = 0): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as Schema[]).map((option) => schemaValue(option, name, depth)));
  const type = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  const options: fc.Arbitrary<unknown>[] = [];
  for (const each of type) {
    if (each === 'string') options.push(stringByName(name));
    else if (each === 'boolean') options.push(fc.boolean());
    else if (each === 'null') options.push(fc.constant(null));
    else if (each === 'integer' || each === 'number') {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -10;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1_000_000;
      options.push(
        fc.oneof(fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }), fc.constantFrom(min - 1, max + 1)),
      );
    } else if (each === 'array' && depth < 3)
      options.push(fc.array(schemaValue((schema.items ?? {}) as Schema, name, depth + 1), { maxLength: 3 }));
    else if (each === 'object' && depth < 3) {
      const properties = Object.entries((schema.properties ?? {}) as Record<string, Schema>);
      options.push(
        fc.record(Object.fromEntries(properties.map(([key, value]) => [key, schemaValue(value, key, depth + 1)])), { requiredKeys: [] }),
      );
    }
  }
  return options.length > 0 ? fc.oneof(...options) : fc.jsonValue({ maxDepth: 2 });
}

/** A path parameter: the id of a real object to act on, or another one. */
function pathValue(name: string): fc.Arbitrary<string> {
  if (name === 'clientId') return fc.constantFrom(encodedRef('victimClientId'), encodedRef('clientId'), 'no-such-client');
  if (name === 'identifier')
    return fc.constantFrom(encodedRef('victimResource'), encodedRef('api'), 'urn%3Aportcullis%3Aadmin', 'https%3A%2F%2Fnone.example');
  if (name === 'user')
    return fc.constantFrom(encodedRef('victimUserId'), encodedRef('victimUserEmail'), encodedRef('userId'), 'nobody%40example.com');
  return fc.constantFrom('abc', 'a'.repeat(64), '00000000-0000-0000-0000-000000000000');
}

const asParameter = (name: string, schema: Schema): Parameter => {
  const json = schemaValue(schema, name);
  const plausible = json.map((value) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? '')));
  return { name, plausible, json };
};

/** The admin API's endpoints, from its OpenAPI document. */
export function adminEndpoints(document: Schema): Endpoint[] {
  const prefix = new URL((document.servers as { url: string }[])[0]!.url).pathname;
  const endpoints: Endpoint[] = [
    {
      name: `GET ${prefix}/openapi.json`,
      kind: 'admin',
      methods: ['GET'],
      path: `${prefix}/openapi.json`,
      pathParameters: {},
      body: 'none',
      query: [],
      fields: [],
    },
  ];
  for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, operation] of Object.entries(operations)) {
      const parameters = (operation.parameters ?? []) as { name: string; in: string; schema: Schema }[];
      const body = (operation.requestBody as { content: Record<string, { schema: Schema }> } | undefined)?.content['application/json']
        ?.schema;
      const of = (place: string) => parameters.filter((parameter) => parameter.in === place);
      endpoints.push({
        name: `${method.toUpperCase()} ${prefix}${path}`,
        kind: 'admin',
        methods: [method.toUpperCase()],
        path: `${prefix}${path}`,
        pathParameters: Object.fromEntries(of('path').map((parameter) => [parameter.name, pathValue(parameter.name)])),
        body: body ? 'json' : 'none',
        query: of('query').map((parameter) => asParameter(parameter.name, parameter.schema)),
        fields: Object.entries((body?.properties ?? {}) as Record<string, Schema>).map(([name, schema]) => asParameter(name, schema)),
        // If-Match: `{{etag}}` is the object's current ETag, read just before the request (send-request.ts)
        headers: of('header').map((parameter) => ({
          name: parameter.name,
          plausible: fc.constantFrom('{{etag}}', '*', 'W/"x"', '"stale"'),
        })),
      });
    }
  }
  return endpoints;
}
