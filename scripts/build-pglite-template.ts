// `npm ci` / `npm install` runs this (the `prepare` script): it builds the PGlite template that a new
// embedded DATA_DIR starts from instead of running initdb (src/storage/pglite-template.ts), and warms
// Node's compile cache with the server's modules (src/main.ts turns it on for every start), so that
// even the very first `npm start` finds both ready. Offline: PGlite's initdb runs locally, in WASM.
//
// It never fails the install: without a template a first start runs initdb, and without a warm
// cache it compiles, exactly as before; so an error here is a warning.
//
//   node scripts/build-pglite-template.ts
import { enableCompileCache, flushCompileCache } from 'node:module';

const started = performance.now();
try {
  // src/main.ts's directory (kept in step with it)
  enableCompileCache(new URL('../node_modules/.cache/portcullis/compile/', import.meta.url).pathname);
  const { buildPgliteTemplate } = await import('../src/storage/pglite-template.ts');
  const dir = await buildPgliteTemplate();
  // Loading the server's modules fills the compile cache (nothing starts: src/server.ts only exports main).
  await import('../src/server.ts');
  flushCompileCache();
  console.log(`portcullis: PGlite template built in ${dir}, compile cache warmed (${((performance.now() - started) / 1000).toFixed(1)} s)`);
} catch (error) {
  console.warn(
    `portcullis: the PGlite template could not be built (${error instanceof Error ? error.message : String(error)}); a new DATA_DIR will run initdb on its first start instead`,
  );
}
