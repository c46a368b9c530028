// Every URL Portcullis builds (discovery, the JWKS uri, the resume URL of a sign-in, the logout form,
// Location headers, the audiences a client assertion may name) starts from the request's origin:
// Koa's `ctx.href`, `ctx.host`, `ctx.protocol`, which oidc-provider reads too. Left alone they come
// from the Host header, from X-Forwarded-Host / X-Forwarded-Proto behind a proxy, or from an
// absolute-form request target: whatever the client wrote. Here they are pinned to ISSUER's origin,
// once, for every request, so no code downstream can build a URL on another host.
import type { Middleware } from 'koa';

export function publicOrigin(issuer: string): Middleware {
  const { protocol, host, hostname } = new URL(issuer);
  const scheme = protocol.slice(0, -1);
  return (ctx, next) => {
    // An absolute-form target ("GET http://evil.example/x HTTP/1.1") is kept by Koa as the whole
    // href; only its path and query are ours to read.
    const target = ctx.originalUrl;
    const local = target.startsWith('/') ? target : originFormOf(target);
    Object.defineProperties(ctx.request, {
      host: { value: host },
      hostname: { value: hostname },
      protocol: { value: scheme },
      href: { value: `${scheme}://${host}${local}` },
    });
    return next();
  };
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
