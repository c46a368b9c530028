// The forgotten-password pages, reached from the sign-in page's "Forgot your password?" link:
//
//   GET/POST /account/forgot-password     an email address; always the same answer (reset-request.ts)
//   GET      /account/reset-password?token=…   the link from the email: shows a form, uses nothing
//                                               (mail scanners open links before their reader does)
//   POST     /account/reset-password/{totp,recovery,passkey}   an account with a second factor proves it
//   POST     /account/reset-password      the new password, twice: the link is redeemed here, in the
//                                          transaction that sets the password (complete-reset.ts)
//
// The token travels in the form (a hidden field: never in a URL the server logs again, and the
// request logger redacts it from the first one); this browser's sealed state (reset-state.ts) says
// which second factor was proven for which link. Every POST comes from a form of this origin (the
// page router refuses any other) and is read through zod at the edge.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { checkLink, type RedeemedLink } from '../../accounts/account-links.ts';
import { checkPassword, serviceNamesFor } from '../../accounts/password-policy.ts';
import { amrForCredential, passkeyOptionsJson } from '../../accounts/passkeys.ts';
import { hashPassword, normalizePassword } from '../../accounts/passwords.ts';
import { RESET_PASSWORD_PATH } from '../../accounts/password-emails.ts';
import {
  codeRefusal,
  createSecondFactorChecks,
  WRONG_RECOVERY_CODE,
  type CheckFacts,
  type SecondFactorCheckDeps,
} from '../../accounts/second-factor-verification.ts';
import type { PasswordSettings } from '../../config.ts';
import { AppError } from '../../http/app-error.ts';
import { readForm } from '../../http/form-body.ts';
import { pageRouter } from '../../http/page-router.ts';
import type { RenderView } from '../../http/views.ts';
import { requestFacts } from '../../security/audit/request-facts.ts';
import type { AccountWithCredentials } from '../../storage/accounts.ts';
import { describeFactors } from '../../storage/mfa.ts';
import { PASSWORDS_DIFFER } from '../../interactions/password-change-routes.ts';
import { completePasswordReset, type CompleteResetDeps } from './complete-reset.ts';
import type { RequestPasswordReset } from './reset-request.ts';
import { linkFingerprint, type ResetStates } from './reset-state.ts';

export const FORGOT_PASSWORD_PATH = '/account/forgot-password';

/** The paths this router answers (app.ts mounts it for them alone). */
export const isPasswordResetPath = (path: string): boolean =>
  path === FORGOT_PASSWORD_PATH || path === RESET_PASSWORD_PATH || path.startsWith(`${RESET_PASSWORD_PATH}/`);

export interface PasswordResetDeps extends Omit<SecondFactorCheckDeps, 'keys'>, Omit<CompleteResetDeps, 'keys'> {
  keys: SecondFactorCheckDeps['keys'] & CompleteResetDeps['keys'];
  render: RenderView;
  requestReset: RequestPasswordReset;
  states: ResetStates;
  passwords: PasswordSettings;
  /** To tell whether the sign-in the user came from is still there to go back to. */
  provider: () => Provider;
}

/** An oidc-provider interaction uid as it appears in /interaction/<uid> (nanoid); anything else is dropped. */
const interactionField = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/)
  .optional()
  .catch(undefined);
/** A token as a link carries it; anything else is simply not a valid link (checkLink refuses it too). */
const tokenField = z.string().max(128).catch('');

const forgotForm = z.object({
  email: z.string().trim().max(320).default(''),
  interaction: interactionField,
});
const codeForm = z.object({ token: tokenField, code: z.string().default('') });
const passkeyForm = z.object({
  token: tokenField,
  credential: z
    .string()
    .max(64 * 1024)
    .optional(),
});
const passwordForm = z.object({
  token: tokenField,
  password: z.string().default(''),
  confirmation: z.string().default(''),
});

/** A string form field, or the edge's 400. */
function parse<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new AppError('invalid_input', 'The form could not be read. Go back and try again.', 400);
  return parsed.data;
}

/** A permissive email shape: enough to refuse what is plainly not one, without telling anything else. */
const looksLikeEmail = (email: string) => /^[^\s@]+@[^\s@]+$/.test(email);

export const FACTOR_FIRST = 'Confirm it is you with your second factor first.';

export function passwordResetRoutes(deps: PasswordResetDeps): Router {
  // its first middleware refuses a form from another site (page-router.ts)
  const router = pageRouter('/account', deps.issuer);
  const checks = createSecondFactorChecks(deps);

  function html(ctx: Context, view: string, data: Record<string, unknown>, status = 200) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = deps.render(view, data);
  }

  const invalidLink = (ctx: Context) => {
    deps.states.clear(ctx);
    html(ctx, 'password-reset-invalid', { forgotPath: FORGOT_PASSWORD_PATH }, 410);
  };

  const hasFactor = async (accountId: string) => {
    const factors = await describeFactors(deps.db, accountId);
    return { any: factors.totp || factors.passkeys > 0, ...factors };
  };

  /** The link, when it can still be used by an enabled account. */
  async function usableLink(token: string): Promise<RedeemedLink | undefined> {
    const link = await checkLink(deps.db, 'reset_password', token, deps.now());
    return link && !link.account.disabled ? link : undefined;
  }

  const facts = (ctx: Context, account: AccountWithCredentials): CheckFacts => ({
    ...requestFacts(ctx),
    actor: { type: 'user', id: account.id },
  });

  /** The second factor this browser proved for this link, its account and epoch; none otherwise. */
  function provenFor(ctx: Context, token: string, link: RedeemedLink): string[] {
    const state = deps.states.read(ctx, token);
    return state?.accountId === link.account.id && state.epoch === link.account.credentialEpoch ? state.amr : [];
  }

  async function renderSecondFactor(ctx: Context, token: string, link: RedeemedLink, error?: string, status = 200) {
    const factors = await hasFactor(link.account.id);
    const passkey = await checks.passkeyChallenge(link.account);
    deps.states.write(ctx, {
      link: linkFingerprint(token),
      accountId: link.account.id,
      epoch: link.account.credentialEpoch,
      // a proof already made for this link stands (a wrong code in another tab does not undo it)
      amr: provenFor(ctx, token, link),
      ...(passkey ? { challenge: passkey.challenge } : {}),
    });
    html(
      ctx,
      'password-reset-second-factor',
      {
        token,
        totp: factors.totp,
        passkeyOptions: passkey && passkeyOptionsJson(passkey),
        recoveryCodesLeft: factors.recoveryCodesLeft,
        error,
      },
      status,
    );
  }

  async function renderPasswordForm(ctx: Context, token: string, link: RedeemedLink, error?: string, status = 200) {
    const withFactor = (await hasFactor(link.account.id)).any;
    html(
      ctx,
      'password-reset',
      {
        token,
        email: link.account.email,
        minLength: withFactor ? deps.passwords.minLengthWithMfa : deps.passwords.minLength,
        error,
      },
      status,
    );
  }

  /** Where this browser stands with the link: the factor to prove first, or the new password. */
  async function renderNextStep(ctx: Context, token: string, link: RedeemedLink) {
    if ((await hasFactor(link.account.id)).any && provenFor(ctx, token, link).length === 0) return renderSecondFactor(ctx, token, link);
    await renderPasswordForm(ctx, token, link);
  }

  /** The second factor is proven for this link: the state says so, and the new password is next. */
  async function factorProven(ctx: Context, token: string, link: RedeemedLink, amr: string[]) {
    deps.states.write(ctx, { link: linkFingerprint(token), accountId: link.account.id, epoch: link.account.credentialEpoch, amr });
    await renderPasswordForm(ctx, token, link);
  }

  // --- Asking for a link ------------------------------------------------------------------------------

  router.get('/forgot-password', (ctx) => {
    const interaction = interactionField.parse(ctx.query.interaction);
    html(ctx, 'password-forgot', { email: '', interaction });
  });

  router.post('/forgot-password', async (ctx) => {
    const form = parse(forgotForm, await readForm(ctx));
    if (!looksLikeEmail(form.email)) {
      // says only what the form itself shows: no address was looked up
      html(
        ctx,
        'password-forgot',
        { email: form.email, interaction: form.interaction, error: 'Enter your email address, like name@example.com.' },
        400,
      );
      return;
    }
    await deps.requestReset(ctx, { email: form.email, interaction: form.interaction });
    html(ctx, 'password-forgot-sent', { interaction: form.interaction });
  });

  // --- The link ---------------------------------------------------------------------------------------

  router.get('/reset-password', async (ctx) => {
    const token = tokenField.parse(ctx.query.token);
    const link = await usableLink(token);
    if (!link) {
      invalidLink(ctx);
      return;
    }
    await renderNextStep(ctx, token, link);
  });

  router.post('/reset-password/totp', async (ctx) => {
    const form = parse(codeForm, await readForm(ctx));
    const link = await usableLink(form.token);
    if (!link) {
      invalidLink(ctx);
      return;
    }
    const outcome = await checks.totp(link.account, form.code.replace(/\s+/g, '').slice(0, 64), facts(ctx, link.account));
    if (outcome === 'ok') return factorProven(ctx, form.token, link, ['otp']);
    if (outcome === 'not_enrolled') return renderNextStep(ctx, form.token, link);
    await renderSecondFactor(ctx, form.token, link, codeRefusal(outcome), 401);
  });

  router.post('/reset-password/recovery', async (ctx) => {
    const form = parse(codeForm, await readForm(ctx));
    const link = await usableLink(form.token);
    if (!link) {
      invalidLink(ctx);
      return;
    }
    const outcome = await checks.recoveryCode(link.account, form.code.replace(/\s+/g, '').slice(0, 64), facts(ctx, link.account));
    if (outcome === 'ok') return factorProven(ctx, form.token, link, ['otp']);
    await renderSecondFactor(ctx, form.token, link, codeRefusal(outcome, WRONG_RECOVERY_CODE), 401);
  });

  router.post('/reset-password/passkey', async (ctx) => {
    const form = parse(passkeyForm, await readForm(ctx));
    const link = await usableLink(form.token);
    if (!link) {
      invalidLink(ctx);
      return;
    }
    const state = deps.states.read(ctx, form.token);
    // the challenge this browser was given for this link's account, or none: then nothing verifies
    const challenge = state?.accountId === link.account.id ? state.challenge : undefined;
    const credential = await checks.passkey(link.account, form.credential, challenge, facts(ctx, link.account));
    if (credential) return factorProven(ctx, form.token, link, [amrForCredential(credential)]);
    await renderSecondFactor(ctx, form.token, link, 'The passkey could not be verified. Try again, or use another way.', 401);
  });

  // --- The new password -------------------------------------------------------------------------------

  router.post('/reset-password', async (ctx) => {
    const form = parse(passwordForm, await readForm(ctx));
    const link = await usableLink(form.token);
    if (!link) {
      invalidLink(ctx);
      return;
    }
    const { account } = link;
    const proven = provenFor(ctx, form.token, link);
    const withFactor = (await hasFactor(account.id)).any;
    // no step skipped: an account with a second factor gets its new password only after proving it
    // for this very link, in this browser
    if (withFactor && proven.length === 0) return renderSecondFactor(ctx, form.token, link, FACTOR_FIRST, 403);

    const refusal = refusalOf(account, withFactor, form.password, form.confirmation);
    if (refusal) return renderPasswordForm(ctx, form.token, link, refusal, 400);
    // hashed before the transaction: no row lock waits for argon2id
    const passwordHash = await hashPassword(form.password, deps.passwords.argon2);
    const outcome = await completePasswordReset(deps, ctx, {
      token: form.token,
      accountId: account.id,
      passwordHash,
      secondFactor: proven,
    });
    deps.states.clear(ctx);
    if (!outcome.ok) {
      // a factor added meanwhile is asked for; a link used or voided meanwhile is no longer valid
      if (outcome.reason === 'factor_required') await renderNextStep(ctx, form.token, link);
      else invalidLink(ctx);
      return;
    }
    html(ctx, 'password-reset-done', { signIn: await signInStillThere(outcome.interaction) });
  });

  /** The new password's refusal as the page says it; undefined when it may be set. */
  function refusalOf(account: AccountWithCredentials, withFactor: boolean, password: string, confirmation: string): string | undefined {
    if (password === '') return 'Enter a new password.';
    if (normalizePassword(password) !== normalizePassword(confirmation)) return PASSWORDS_DIFFER;
    const problem = checkPassword(password, {
      settings: deps.passwords,
      hasSecondFactor: withFactor,
      context: { email: account.email, name: account.name, serviceNames: serviceNamesFor(deps.issuer) },
    });
    return problem && `The new ${problem.message}.`;
  }

  /** The sign-in page the user left for this reset, when it is still there to go back to. */
  async function signInStillThere(uid: string | undefined): Promise<string | undefined> {
    if (!uid) return undefined;
    const interaction = await deps
      .provider()
      .Interaction.find(uid)
      .catch(() => undefined);
    return interaction ? `/interaction/${uid}` : undefined;
  }

  return router;
}
