// SECURITY.md maps every control to the test that proves it. A control whose proof was renamed,
// moved or deleted must not go on being claimed: every test file the document names has to exist,
// and every test title it quotes has to appear in that file.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const document = readFileSync(`${root}SECURITY.md`, 'utf8');

/** `test/…/name.test.ts` and, when a title follows it as `test/x.test.ts` › "title", that title. */
const references = [...document.matchAll(/`(test\/[\w./-]+\.test\.ts)`(?:\s*›\s*"([^"]+)")?/g)].map((match) => ({
  file: match[1]!,
  title: match[2],
}));

test('SECURITY.md names the tests that prove its controls', (t) => {
  t.true(references.length >= 20, `only ${references.length} test references found`);
  t.true(references.some((reference) => reference.file.startsWith('test/security/')));
});

test('every test file SECURITY.md names exists', (t) => {
  const missing = [...new Set(references.map((reference) => reference.file))].filter((file) => !existsSync(`${root}${file}`));
  t.deepEqual(missing, []);
});

test('every test title SECURITY.md quotes is in the file it names', (t) => {
  const missing = references
    .filter((reference) => reference.title !== undefined)
    .filter((reference) => !readFileSync(`${root}${reference.file}`, 'utf8').includes(reference.title!))
    .map((reference) => `${reference.file} › ${reference.title}`);
  t.deepEqual(missing, []);
});

test('SECURITY.md says how to report a vulnerability', (t) => {
  t.regex(document, /^## Reporting a vulnerability/m);
});
