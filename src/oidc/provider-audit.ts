// Audit events for what happens inside oidc-provider: tokens issued per grant type, refused token
// requests, replayed codes and refresh tokens, revoked grants, logouts. All are batched (off the
// token path); none carries a token or a code.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AuditEventInput, AuditTrail } from '../security/audit/audit-event.ts';
import { requestFacts } from '../security/audit/request-facts.ts';

const REPLAY = /already (consumed|used)/;

function actorOf(ctx: KoaContextWithOIDC): AuditEventInput['actor'] {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- typed as always there; not so on every oidc-provider path
  const accountId = ctx.oidc.entities?.Account?.accountId ?? ctx.oidc.entities?.Session?.accountId;
  if (accountId) return { type: 'user', id: accountId };
  const clientId = ctx.oidc.client?.clientId;
  return clientId ? { type: 'client', id: clientId } : undefined;
}

function base(ctx: KoaContextWithOIDC): Omit<AuditEventInput, 'type' | 'outcome'> {
  const actor = actorOf(ctx);
  const clientId = ctx.oidc.client?.clientId;
  return { ...requestFacts(ctx), ...(actor ? { actor } : {}), ...(clientId ? { clientId } : {}) };
}

export function attachProviderAudit(provider: Provider, audit: AuditTrail): void {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const body = ctx.body as { scope?: unknown } | undefined;
    audit.record({
      ...base(ctx),
      type: 'token.issued',
      outcome: 'success',
      details: {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- grant_type is a string once oidc-provider parsed it
        grantType: String(ctx.oidc.params?.grant_type ?? 'unknown'),
        ...(typeof body?.scope === 'string' ? { scope: body.scope } : {}),
        ...(typeof ctx.oidc.params?.resource === 'string' ? { resource: ctx.oidc.params.resource } : {}),
      },
    });
  });

  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: { error?: string; error_detail?: string }) => {
    const replay = typeof error.error_detail === 'string' && REPLAY.test(error.error_detail);
    audit.record({
      ...base(ctx),
      type: replay ? 'token.reuse_detected' : 'token.refused',
      outcome: 'failure',
      details: {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- grant_type is a string once oidc-provider parsed it
        grantType: String(ctx.oidc.params?.grant_type ?? 'unknown'),
        error: error.error ?? 'server_error',
        ...(replay ? { reason: error.error_detail } : {}),
      },
    });
  });

  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    audit.record({
      ...base(ctx),
      type: 'grant.revoked',
      outcome: 'success',
      target: { type: 'grant', id: grantId },
      details: { route: ctx.oidc.route },
    });
  });

  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    audit.record({ ...base(ctx), type: 'logout', outcome: 'success', details: { everywhere: Boolean(ctx.oidc.params?.logout) } });
  });
}
