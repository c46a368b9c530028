// Accepting an invitation, /account/invitation (REGISTRATION=invite or open): the link's GET shows the
// form (it does not use the link: mail scanners fetch links); its POST uses the link and sets the
// password the person chose (the policy applies), marks the address verified (the link reached its
// mailbox), and, when the invitation named a client, sends the browser to that client, which starts
// its own sign-in with the address filled in (invitation-landing.ts). They type the new password
// once more there: no credential other than the password is created by an invitation, so nothing new
// can be stolen or replayed.
//
// An invitation never takes over an account: only an account created by an invitation and never
// given a password accepts one (account-registration.ts' acceptInvitation, under the row lock of
// the transaction that uses the link); setting any password moves the credential epoch and voids
// every invitation link sent before.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { checkLink, redeemLink, type RedeemedLink } from '../accounts/account-links.ts';
import { checkPassword, serviceNamesFor } from '../accounts/password-policy.ts';
import { hashPassword, normalizePassword } from '../accounts/passwords.ts';
import { readForm } from '../http/form-body.ts';
import { allowFormRedirect } from '../http/security-headers.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { acceptInvitation, findRegistrationState } from '../storage/account-registration.ts';
import { findAccountForUpdate } from '../storage/accounts.ts';
import { canonicalEmail } from '../storage/canonical-email.ts';
import { notifyChange, type Queryable } from '../storage/database.ts';
import { describeFactors } from '../storage/mfa.ts';
import { invitationLanding } from './invitation-landing.ts';
import { giveInvitationSignIn } from './invitation-sign-in.ts';
import { page, type RegistrationDeps } from './registration-deps.ts';
import type { FieldError } from './registration-input.ts';
import { PASSWORDS_DIFFER } from './sign-up-routes.ts';

const HINT = 'Ask the person who invited you to send a new invitation. If you already chose a password, sign in with it.';

const tokenOf = (value: unknown) => (typeof value === 'string' ? value : '');

export function registerInvitationRoutes(router: Router, deps: RegistrationDeps): void {
  const invalid = (ctx: Context) => page(ctx, deps.render, 'link-invalid', { hint: HINT }, 400);

  /** The invitation's client and where accepting it leads, if it named one that still exists. */
  async function landingOf(link: RedeemedLink) {
    const client = link.detail.clientId ? await deps.cache.client(link.detail.clientId) : undefined;
    return client ? { clientName: client.name, landing: invitationLanding(client, deps.issuer, link.account.email) } : {};
  }

  /** The link, if it may still be accepted: unused, for the address the account has, which has no password yet. */
  async function usable(db: Queryable, link: RedeemedLink | undefined): Promise<RedeemedLink | undefined> {
    if (!link || canonicalEmail(link.detail.email ?? '') !== canonicalEmail(link.account.email)) return undefined;
    return (await findRegistrationState(db, link.account.id))?.invitationPending ? link : undefined;
  }

  async function minLengthFor(accountId: string): Promise<{ minLength: number; hasSecondFactor: boolean }> {
    const factors = await describeFactors(deps.db, accountId);
    const hasSecondFactor = factors.totp || factors.passkeys > 0;
    return { hasSecondFactor, minLength: hasSecondFactor ? deps.passwords.minLengthWithMfa : deps.passwords.minLength };
  }

  async function render(ctx: Context, link: RedeemedLink, token: string, errors: FieldError[] = [], status = 200) {
    const { clientName, landing } = await landingOf(link);
    // the form's post ends in a redirect to the client: browsers apply form-action to it (security-headers.ts)
    if (landing) allowFormRedirect(ctx, landing);
    page(
      ctx,
      deps.render,
      'invitation',
      {
        email: link.account.email,
        clientName,
        token,
        errors,
        invalid: Object.fromEntries(errors.map((error) => [error.field, true])),
        minLength: (await minLengthFor(link.account.id)).minLength,
      },
      status,
    );
  }

  router.get('/invitation', async (ctx) => {
    const token = tokenOf(ctx.query.token);
    const link = await usable(deps.db, await checkLink(deps.db, 'invite', token, deps.now()));
    if (!link) {
      invalid(ctx);
      return;
    }
    await render(ctx, link, token);
  });

  router.post('/invitation', async (ctx) => {
    const form = await readForm(ctx);
    const token = tokenOf(form.token);
    // read (not used) first: the password is checked and hashed outside the transaction
    const link = await usable(deps.db, await checkLink(deps.db, 'invite', token, deps.now()));
    if (!link) {
      invalid(ctx);
      return;
    }
    const password = form.password ?? '';
    const { hasSecondFactor } = await minLengthFor(link.account.id);
    const problem =
      password === ''
        ? undefined
        : checkPassword(password, {
            settings: deps.passwords,
            hasSecondFactor,
            context: { email: link.account.email, name: link.account.name, serviceNames: serviceNamesFor(deps.issuer) },
          });
    const errors: FieldError[] =
      password === ''
        ? [{ field: 'password', message: 'Choose a password.' }]
        : problem
          ? [{ field: 'password', message: `The ${problem.message}.` }]
          : normalizePassword(password) !== normalizePassword(form.confirmation ?? '')
            ? [{ field: 'confirmation', message: PASSWORDS_DIFFER }]
            : [];
    if (errors.length > 0) return render(ctx, link, token, errors, 400);

    const passwordHash = await hashPassword(password, deps.passwords.argon2);
    const now = deps.now();
    const accepted = await deps.db.transaction(async (tx) => {
      const redeemed = await redeemLink(tx, 'invite', token, now);
      if (redeemed?.account.id !== link.account.id) return undefined;
      const locked = await findAccountForUpdate(tx, redeemed.account.id);
      if (!locked || locked.disabled || canonicalEmail(redeemed.detail.email ?? '') !== canonicalEmail(locked.email)) return undefined;
      // only an account that never had a password: anything else is a takeover, refused (the link is used up all the same)
      if (!(await acceptInvitation(tx, locked.id, passwordHash))) return undefined;
      await notifyChange(tx, 'account', locked.id);
      await deps.audit.recordWithin(tx, {
        ...requestFacts(ctx),
        type: 'user.invitation_accepted',
        outcome: 'success',
        actor: { type: 'user', id: locked.id },
        target: { type: 'user', id: locked.id },
        details: { email: locked.email, ...(redeemed.detail.clientId ? { clientId: redeemed.detail.clientId } : {}) },
      });
      // the epoch the new password gave the account (acceptInvitation moved it on by one)
      return { ...redeemed, epoch: locked.credentialEpoch + 1 };
    });
    if (!accepted) {
      invalid(ctx);
      return;
    }
    const { clientName, landing } = await landingOf(accepted);
    if (landing) {
      // the first sign-in at that client, in this browser, within minutes, needs no second typing of
      // the password (invitation-sign-in.ts); bound to the epoch the new password gave the account
      const proof = { accountId: accepted.account.id, epoch: accepted.epoch, clientId: accepted.detail.clientId! };
      giveInvitationSignIn(ctx, deps.encryptionKey, proof, now.getTime());
      ctx.status = 303;
      ctx.redirect(landing);
      return;
    }
    page(ctx, deps.render, 'invitation-done', { email: accepted.account.email, clientName, landing });
  });
}
