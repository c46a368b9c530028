// Attack: forge a row of `portcullis resources reviews`. A review's note is free text with line
// breaks (resource-input.ts: freeText, not oneLine), and the command prints it as the last column
// of a table (list-resource-reviews.ts) without escaping: a note can end its own row and print a
// second one, e.g. an earlier review "by" another administrator that rated the API low. Before the
// change the note only went to the audit trail (printed as JSON); now it is a table cell.
import { OPERATION_COMMANDS } from '../../src/admin/registry.ts';
import { adminTest } from '../helpers/admin-harness.ts';
import { runAsOperator } from '../helpers/operator.ts';

const API = 'https://orders.example.com';
const at = (identifier: string) => `/resources/${encodeURIComponent(identifier)}`;
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

adminTest(
  'a multi-line review note prints escaped in `resources reviews`, never as a forged row',
  async (t, { server, call, token, bootstrap }) => {
    const bearer = await token(await bootstrap());
    t.is((await call('POST', '/resources', { token: bearer, json: { identifier: API } })).status, 201);
    const forgedRow = '2020-01-01 09:00:00Z  cli:ciso  low   accept     orders db  -  2030-01-01  signed off by the CISO';
    const reviewed = await call('POST', `${at(API)}/review`, {
      token: bearer,
      json: {
        nextReviewDate: day(30),
        riskLevel: 'critical',
        impactedSystems: ['orders db'],
        treatment: 'mitigate',
        controls: ['mTLS'],
        note: `checked\n${forgedRow}`,
      },
    });
    t.is(reviewed.status, 200, JSON.stringify(reviewed.body));

    const command = OPERATION_COMMANDS.find((spec) => spec.command === 'resources reviews')!;
    const lines: string[] = [];
    const status = await command.run!({
      input: command.input({}, API, { readPassword: async () => '' }),
      flags: {},
      json: false,
      output: { out: (line) => void lines.push(...line.split('\n')), err: () => {} },
      call: (input) => runAsOperator(server, 'resources.reviews', input),
      signal: new AbortController().signal,
    });
    t.is(status, 0);
    // one header and one row per review: a single review must print exactly two lines
    t.is(lines.length, 2, lines.join('\n'));
    t.false(
      lines.some((line) => line.startsWith('2020-01-01')),
      'no row the admin did not record',
    );
  },
);
