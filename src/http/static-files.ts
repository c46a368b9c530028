// The few static files the pages load: the stylesheet, the passkey script and the WebAuthn browser
// library it uses (served from its package, so it is the version package-lock.json pins). Read once
// at start; served with a short public cache.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Middleware } from 'koa';

interface StaticFile {
  type: string;
  body: Buffer;
}

function browserBundleOfSimpleWebAuthn(): string {
  // the package's entry point sits one folder below its root; the browser bundle (UMD, global
  // SimpleWebAuthnBrowser) is dist/bundle/ under that root
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return join(dirname(dirname(entry)), 'dist', 'bundle', 'index.umd.min.js');
}

export function staticFiles(viewsDir: string): Middleware {
  const files = new Map<string, StaticFile>([
    ['/static/portcullis.css', { type: 'text/css', body: readFileSync(`${viewsDir}static/portcullis.css`) }],
    ['/static/passkey.js', { type: 'text/javascript', body: readFileSync(`${viewsDir}static/passkey.js`) }],
    ['/static/simplewebauthn-browser.js', { type: 'text/javascript', body: readFileSync(browserBundleOfSimpleWebAuthn()) }],
  ]);
  return async (ctx, next) => {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(ctx.path) : undefined;
    if (!file) {
      await next();
      return;
    }
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}

export const isStaticPath = (path: string) => path.startsWith('/static/');
