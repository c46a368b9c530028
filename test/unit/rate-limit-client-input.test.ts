// A client's own rate limit as admins give it (`clients create --rate-limit`).
import test from 'ava';
import { clientCreateInput, planClient } from '../../src/admin/clients/client-input.ts';
import { COMMANDS, flagForField } from '../../src/admin/cli/commands.ts';

const parse = (rateLimitPerMinute: unknown) =>
  clientCreateInput.safeParse({
    name: 'Worker',
    grantTypes: ['client_credentials'],
    ...(rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute }),
  });

test('optional; a positive whole number up to 10,000,000', (t) => {
  t.is(planClient(parse(undefined).data!, []).rateLimitPerMinute, null, 'absent: the server default');
  t.is(planClient(parse(1).data!, []).rateLimitPerMinute, 1);
  t.is(planClient(parse(10_000_000).data!, []).rateLimitPerMinute, 10_000_000);
  for (const [value, message] of [
    [0, /at least 1/],
    [-5, /at least 1/],
    [2.5, /whole number/],
    [10_000_001, /at most 10,000,000/],
    ['100', /whole number/],
  ] as const) {
    const result = parse(value);
    t.false(result.success, String(value));
    t.regex(result.error?.issues[0]?.message ?? '', message);
    t.deepEqual(result.error?.issues[0]?.path, ['rateLimitPerMinute']);
  }
});

test('clients create --rate-limit fills it; a refusal names the flag', (t) => {
  const spec = COMMANDS.find((command) => command.command === 'clients create')!;
  const sources = { readPassword: async () => '' };
  t.like(spec.input({ name: 'Worker', 'rate-limit': '1200' }, undefined, sources), { rateLimitPerMinute: 1200 });
  t.is((spec.input({ name: 'Worker' }, undefined, sources) as Record<string, unknown>).rateLimitPerMinute, undefined);
  t.is(
    (spec.input({ name: 'Worker', 'rate-limit': 'lots' }, undefined, sources) as Record<string, unknown>).rateLimitPerMinute,
    'lots',
    'passed on, for the schema to refuse',
  );
  t.is(flagForField(spec, 'rateLimitPerMinute'), '--rate-limit');
});
