// Where Prometheus scrapes: a separate port (METRICS_PORT, never exposed with the public port), or
// /metrics on the main port behind a bearer token (METRICS_TOKEN). With neither, no metrics are served.
import { createServer, type Server } from 'node:http';
import type { Middleware } from 'koa';
import type { Registry } from 'prom-client';

/**
 * /metrics on the main app for callers presenting the token. `sameToken` compares without leaking
 * through timing (the app passes security/constant-time.ts: observability sits below security).
 */
export function metricsRoute(
  registry: Registry,
  token: string | undefined,
  sameToken: (presented: string, token: string) => boolean,
): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/metrics' || !token) {
      await next();
      return;
    }
    const presented = /^Bearer (.+)$/i.exec(ctx.get('Authorization'))?.[1] ?? '';
    if (!sameToken(presented, token)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.body = { error: 'unauthorized', error_description: 'a valid metrics bearer token is required' };
      return;
    }
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  };
}

/** A separate listener that serves only the metrics. */
export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
