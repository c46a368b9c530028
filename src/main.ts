// `npm start`: turns on Node's compile cache, then loads and starts the server (src/server.ts).
//
// Start-up is mostly module loading: Node strips the types of every .ts file and compiles every
// module, on each start. The compile cache keeps both results on disk, keyed by each file's content
// (a changed file is compiled afresh), so a restart reuses them, and the TypeScript stripper is not
// even loaded (less memory too). It lives in node_modules/.cache/portcullis/, not DATA_DIR: it is
// derived from the installed code, not the deployment's data, so it goes with node_modules (a new
// `npm ci` starts it afresh, and warms it: scripts/build-pglite-template.ts), serves every DATA_DIR
// (a fresh one included), and stays out of DATA_DIR's backups. If it cannot be written (read-only
// node_modules) Node just compiles as without it; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
// Everything else is imported only after it is on: a static import would be loaded before it.
import { enableCompileCache } from 'node:module';

// also in scripts/build-pglite-template.ts, which warms it (importing it from here would load more first)
enableCompileCache(new URL('../node_modules/.cache/portcullis/compile/', import.meta.url).pathname);
const { main } = await import('./server.ts');
main().catch((error: unknown) => {
  console.error('Portcullis failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
