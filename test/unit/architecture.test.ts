// The layers point one way (README, "Architecture"): platform -> domain -> features -> app, no import
// cycle between files or folders. dependency-cruiser reads the imports (type-only ones included) and
// .dependency-cruiser.cjs holds the rules; this test runs it over src/ and scripts/ and lists every
// violation, so a failure names the import to change.
import test from 'ava';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import extractDepcruiseConfig from 'dependency-cruiser/config-utl/extract-depcruise-config';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = join(import.meta.dirname, '..', '..');
const config: IConfiguration = await extractDepcruiseConfig(join(root, '.dependency-cruiser.cjs'));
const tsConfig = extractTSConfig(join(root, 'tsconfig.json'));

/** Every violation of the rules under `baseDir`, one line each: `rule: from -> to` (a cycle spelled out). */
async function violations(baseDir: string, paths: string[]): Promise<string[]> {
  const { output } = await cruise(paths, { ...config.options, baseDir, validate: true, ruleSet: config }, {}, { tsConfig });
  const result = output as ICruiseResult;
  return result.summary.violations.map((violation) => {
    const cycle = violation.cycle?.map((step) => step.name);
    return `${violation.rule.name}: ${cycle ? [violation.from, ...cycle].join(' -> ') : `${violation.from} -> ${violation.to}`}`;
  });
}

test('imports point down the layers, and no files or folders import each other in a circle', async (t) => {
  const found = await violations(root, ['src', 'scripts']);
  t.deepEqual(found, [], `\n${found.join('\n')}\n(rules and layers: .dependency-cruiser.cjs)`);
});

test('the rules catch a planted upward import, file cycle and folder cycle', async (t) => {
  const planted = mkdtempSync(join(tmpdir(), 'portcullis-layers-'));
  t.teardown(() => rmSync(planted, { recursive: true, force: true }));
  const files: Record<string, string> = {
    // storage (platform) and accounts (domain) import each other: a file cycle, a folder cycle, an upward import
    'src/storage/a.ts': "import { b } from '../accounts/b.ts';\nexport const a = () => b;\n",
    'src/accounts/b.ts': "import type { a } from '../storage/a.ts';\nexport const b = 1;\nexport type A = typeof a;\n",
    // no two files import each other, but security (with its rate-limit folder) and observability do
    'src/observability/metrics.ts': "import { equal } from '../security/equal.ts';\nexport const metrics = equal;\n",
    'src/security/equal.ts': 'export const equal = 1;\n',
    'src/security/rate-limit/limit.ts': "import { metrics } from '../../observability/metrics.ts';\nexport const limit = metrics;\n",
    // a feature importing the app
    'src/admin/tool.ts': "import { app } from '../app.ts';\nexport const tool = app;\n",
    'src/app.ts': 'export const app = 1;\n',
    // an admin transport reaching into an area, an area into the registry, the kernel into an area
    'src/admin/api/router.ts': "import { x } from '../clients/create-client.ts';\nexport const router = x;\n",
    'src/admin/clients/create-client.ts': "import { all } from '../registry.ts';\nexport const x = all;\n",
    'src/admin/registry.ts': 'export const all = 1;\n',
    'src/admin/operation/define.ts': "import { x } from '../clients/create-client.ts';\nexport const define = x;\n",
    // a folder no layer names
    'src/misc/thing.ts': "import { app } from '../app.ts';\nexport const thing = app;\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(planted, path)), { recursive: true });
    writeFileSync(join(planted, path), text);
  }
  const found = await violations(planted, ['src']);
  const rules = (name: string) => found.filter((line) => line.startsWith(`${name}:`));
  t.true(
    rules('no-file-cycle').some((line) => line.includes('src/storage/a.ts')),
    found.join('\n'),
  );
  t.true(
    rules('platform-imports-up').some((line) => line === 'platform-imports-up: src/storage/a.ts -> src/accounts/b.ts'),
    found.join('\n'),
  );
  t.true(
    rules('no-folder-cycle').some((line) => line.includes('src/storage') && line.includes('src/accounts')),
    found.join('\n'),
  );
  t.true(
    rules('no-folder-cycle').some((line) => line.includes('src/observability') && line.includes('src/security')),
    found.join('\n'),
  );
  t.deepEqual(rules('features-import-app'), ['features-import-app: src/admin/tool.ts -> src/app.ts']);
  t.deepEqual(rules('src-outside-layers'), ['src-outside-layers: src/misc/thing.ts -> src/app.ts']);
  t.deepEqual(rules('admin-transport-knows-no-area'), [
    'admin-transport-knows-no-area: src/admin/api/router.ts -> src/admin/clients/create-client.ts',
  ]);
  t.deepEqual(rules('admin-area-knows-no-transport'), [
    'admin-area-knows-no-transport: src/admin/clients/create-client.ts -> src/admin/registry.ts',
  ]);
  t.deepEqual(rules('admin-kernel-knows-no-area'), [
    'admin-kernel-knows-no-area: src/admin/operation/define.ts -> src/admin/clients/create-client.ts',
  ]);
});
