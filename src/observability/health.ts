// /healthz: the process is alive. /readyz: every store answers within a second (503 otherwise),
// so a load balancer stops sending traffic to a process whose stores are unreachable.
import Router from '@koa/router';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
}

const TIMEOUT_MS = 1_000;

const withTimeout = (work: Promise<unknown>) =>
  Promise.race([work, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), TIMEOUT_MS).unref())]);

export function healthRoutes(checks: ReadinessCheck[]): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check());
          return [name, 'ok'] as const;
        } catch {
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) };
  });
  return router;
}
