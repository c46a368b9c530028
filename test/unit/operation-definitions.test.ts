// One definition per operation (issue 13): the admin API's routes, its OpenAPI document and the
// CLI's commands are derived from the operations' definitions. These checks hold every definition
// to what the derivation relies on, so a mistake in one fails here rather than as a wrong flag or
// an undocumented answer.
import test from 'ava';
import { z } from 'zod';
import { answerId } from '../../src/admin/operation/answer-schemas.ts';
import { pathParameters } from '../../src/admin/operation/http-binding.ts';
import { adminOpenApiDocument } from '../../src/admin/api/openapi.ts';
import { COMMANDS } from '../../src/admin/cli/commands.ts';
import { ADMIN_ROUTES, OPERATIONS } from '../../src/admin/registry.ts';

const inputFields = (schema: z.ZodType): string[] => {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
  return Object.keys(json.properties ?? {});
};

test('every flag and positional argument fills a field the operation takes', (t) => {
  for (const command of COMMANDS.filter((spec) => spec.operation !== 'migrate')) {
    const fields = inputFields(OPERATIONS.get(command.operation)!.input);
    for (const [flag, spec] of Object.entries(command.flags)) {
      if (spec.field !== undefined)
        t.true(fields.includes(spec.field), `${command.command} --${flag} fills "${spec.field}", not an input field`);
    }
    if (command.target) t.true(fields.includes(command.target.field), `${command.command} <${command.target.placeholder}>`);
  }
});

test('every route is a defined operation with a named answer, and its path parameters are input fields', (t) => {
  const seen = new Set<string>();
  for (const route of ADMIN_ROUTES) {
    const operation = OPERATIONS.get(route.operation);
    if (!operation) {
      t.fail(`route ${route.method} ${route.path}: no operation ${route.operation}`);
      continue;
    }
    t.false(seen.has(`${route.method} ${route.path}`), `${route.method} ${route.path} is declared twice`);
    seen.add(`${route.method} ${route.path}`);
    t.is(route.tag, route.operation.slice(0, route.operation.indexOf('.')));
    const fields = inputFields(operation.input);
    for (const name of pathParameters(route.path)) t.true(fields.includes(name), `${route.path}: {${name}} is not an input field`);
    t.is(route.response, answerId(operation.output) ?? 'no answer() name');
  }
});

test('the OpenAPI document holds a schema for every answer it references', (t) => {
  const document = adminOpenApiDocument('https://id.example.com') as Record<string, any>;
  const text = JSON.stringify(document);
  const referenced = new Set([...text.matchAll(/#\/components\/schemas\/(\w+)/g)].map((match) => match[1]!));
  for (const name of referenced) t.truthy(document.components.schemas[name], `no component ${name}`);
  t.true(referenced.has('ResourceServer') && referenced.has('ResourceReviewList'));
});

test('commands are unique and each runs a defined operation', (t) => {
  const names = COMMANDS.map((spec) => spec.command);
  t.is(new Set(names).size, names.length);
  for (const spec of COMMANDS) t.true(spec.operation === 'migrate' || OPERATIONS.has(spec.operation), spec.command);
});
