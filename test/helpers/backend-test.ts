// Runs one test body on every supported deployment, each with a fresh server and stores.
import test, { type ExecutionContext } from 'ava';
import { BACKENDS, startTestServer, type BackendSetup, type TestServer } from './server.ts';

export function testEachBackend(
  title: string,
  body: (t: ExecutionContext, server: TestServer, backend: BackendSetup) => Promise<void>,
  options: { only?: BackendSetup['name'][]; env?: Record<string, string> } = {},
): void {
  for (const backend of BACKENDS) {
    if (options.only && !options.only.includes(backend.name)) continue;
    // serial: every test starts a whole server on fresh stores; a 2-core machine runs them better in turn
    test.serial(`[${backend.name}] ${title}`, async (t) => {
      const server = await startTestServer(backend, options.env ? { env: options.env } : {});
      t.teardown(() => server.close());
      await body(t, server, backend);
    });
  }
}
