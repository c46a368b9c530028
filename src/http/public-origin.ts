// Every URL Portcullis builds (discovery, the JWKS uri, the resume URL of a sign-in, the logout form,
// Location headers, the audiences a client assertion may name) starts from the request's origin:
// Koa's `ctx.href`, `ctx.host`, `ctx.protocol`, which oidc-provider reads too. Left alone they come
// from the Host header, from X-Forwarded-Host / X-Forwarded-Proto behind a proxy, or from an
// absolute-form request target: whatever the client wrote. Here they are pinned to ISSUER's origin
// for every request of the app, once, on the app's request prototype (each request's `ctx.request`
// inherits from it), so no code downstream can build a URL on another host, and no request pays for it.
import type Koa from 'koa';

export function pinPublicOrigin(app: Koa, issuer: string): void {
  const { protocol, host, hostname } = new URL(issuer);
  const scheme = protocol.slice(0, -1);
  const origin = `${scheme}://${host}`;
  const hrefOf = (request: Koa.Request) => {
    // An absolute-form target ("GET http://evil.example/x HTTP/1.1") is kept by Koa as the whole
    // href; only its path and query are ours to read.
    const target = request.originalUrl;
    return origin + (target.startsWith('/') ? target : originFormOf(target));
  };
  const memoizedUrls = new WeakMap<Koa.Request, URL>();
  Object.defineProperties(app.request, {
    host: { get: () => host },
    hostname: { get: () => hostname },
    protocol: { get: () => scheme },
    href: {
      get(this: Koa.Request) {
        return hrefOf(this);
      },
    },
    // Koa's URL is built from the absolute-form target too
    URL: {
      get(this: Koa.Request) {
        let url = memoizedUrls.get(this);
        if (!url) memoizedUrls.set(this, (url = new URL(hrefOf(this))));
        return url;
      },
    },
  });
}

/** The path and query of an absolute-form request target ("*" and the like become "/"). */
function originFormOf(target: string): string {
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}
