// Portcullis's layers, checked by dependency-cruiser (test/unit/architecture.test.ts runs it in `npm test`).
//
//   app       src/app.ts, src/portcullis.ts, src/main.ts, src/server.ts, src/cli.ts   (wires everything together)
//   features  src/admin, src/account-page, src/interactions, src/registration   (admin areas and pages)
//   domain    src/accounts, src/oidc                                         (sign-in, accounts, OAuth/OIDC)
//   platform  src/config.ts, src/http, src/observability, src/storage, src/security, src/email
//
// An import points down (or sideways within a layer), never up. No cycle between files, and no cycle
// between folders either (accounts -> oidc -> accounts is a cycle even when no two files form one),
// so each folder can be read, tested and moved with only what lies below it.
//
// Type-only imports count: `import type` from a higher layer still ties the lower module's meaning to
// the higher one (a change there breaks the build here), which is the coupling the layers exist to stop.

/** One regular expression per layer, over paths relative to the repository root. */
const layers = {
  platform: '^src/(config\\.ts$|http/|observability/|storage/|security/|email/)',
  domain: '^src/(accounts|oidc)/',
  features: '^src/(admin|account-page|interactions|registration)/',
  app: '^src/(app|portcullis|main|server|cli)\\.ts$',
};
const anyLayer = Object.values(layers).join('|');
const above = {
  platform: [layers.domain, layers.features, layers.app].join('|'),
  domain: [layers.features, layers.app].join('|'),
  features: layers.app,
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycle',
      severity: 'error',
      comment: 'Two files that import each other (directly or through others) cannot be understood or loaded apart.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'A folder that reaches itself through another folder is not a layer: e.g. accounts <-> oidc.',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'platform-imports-up',
      severity: 'error',
      comment: 'Platform (config, http, observability, storage, security) knows no domain, feature or app module.',
      from: { path: layers.platform },
      to: { path: above.platform },
    },
    {
      name: 'domain-imports-up',
      severity: 'error',
      comment: 'Domain (accounts, oidc) knows no feature (admin, pages) or app module.',
      from: { path: layers.domain },
      to: { path: above.domain },
    },
    {
      name: 'features-import-app',
      severity: 'error',
      comment: 'Features (admin, account pages, interaction pages) are wired by the app, and do not import it.',
      from: { path: layers.features },
      to: { path: above.features },
    },
    {
      name: 'admin-transport-knows-no-area',
      severity: 'error',
      comment:
        'The admin transports (api/ router and OpenAPI, cli/ parser and help, control/ socket) take operations from registry.ts and know no area (clients, resources, users, ...).',
      from: { path: '^src/admin/(api|cli|control)/' },
      to: { path: '^src/admin/', pathNot: '^src/admin/(api|cli|control|operation)/|^src/admin/registry\\.ts$' },
    },
    {
      name: 'admin-area-knows-no-transport',
      severity: 'error',
      comment: 'An admin area declares its operations; it does not reach into a transport or the registry (which lists it).',
      from: { path: '^src/admin/[^/]+/', pathNot: '^src/admin/(api|cli|control)/' },
      to: { path: '^src/admin/(api|cli|control)/|^src/admin/registry\\.ts$' },
    },
    {
      name: 'admin-kernel-knows-no-area',
      severity: 'error',
      comment: 'src/admin/operation/ is what every area builds on (define.ts, the bindings, answer schemas): it imports no area.',
      from: { path: '^src/admin/operation/' },
      to: { path: '^src/admin/', pathNot: '^src/admin/operation/' },
    },
    {
      name: 'src-outside-layers',
      severity: 'error',
      comment: 'Every module under src/ belongs to a layer: add a new folder to `layers` in .dependency-cruiser.cjs.',
      from: { path: '^src/', pathNot: anyLayer },
      to: {},
    },
    {
      name: 'src-into-outside-layers',
      severity: 'error',
      comment: 'Every module under src/ belongs to a layer: add a new folder to `layers` in .dependency-cruiser.cjs.',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: anyLayer },
    },
    {
      name: 'src-imports-scripts-or-tests',
      severity: 'error',
      comment: 'scripts/ and test/ sit above the app; the server does not load them.',
      from: { path: '^src/' },
      to: { path: '^(scripts|test)/' },
    },
  ],
  options: {
    // Only our own modules: npm packages and node: built-ins are not part of the layering.
    includeOnly: '^(src|scripts)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    parser: 'tsc',
    cache: false,
  },
};
