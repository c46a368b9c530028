// The README's "Use it from your app" tells users how to register a client for each library; the
// interop suite runs those commands (test/interop/readme-commands.ts). A command changed on one
// side only would leave the README promising what nothing tests: every command of the section must
// be in that list, and every command of the list in the README.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { README_COMMANDS } from '../interop/readme-commands.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

/** A README section: from its `## ` heading to the next one. */
const section = (heading: string) => {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
};

/** The `npx portcullis` commands of the shell blocks in `text`, continuation lines joined. */
const commandsIn = (text: string) =>
  [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => block[1]!.replace(/\s*\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npx portcullis '));

const listed: string[] = Object.values(README_COMMANDS);

test('"Use it from your app" has a client command for each relying party and the APIs', (t) => {
  const commands = commandsIn(section('Use it from your app'));
  t.true(commands.length >= 5, `found ${commands.length}`);
});

test('every command of "Use it from your app" is one the interop suite runs', (t) => {
  t.deepEqual(
    commandsIn(section('Use it from your app')).filter((command) => !listed.includes(command)),
    [],
  );
});

test("every command the interop suite runs as the README's is in the README", (t) => {
  const everywhere = commandsIn(readme);
  t.deepEqual(
    listed.filter((command) => !everywhere.includes(command)),
    [],
  );
});
