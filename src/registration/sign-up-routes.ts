// The sign-up page, /account/sign-up (REGISTRATION=open only). The account is created unverified and
// cannot sign in until the link sent to its address is opened (verification-routes.ts).
//
// No enumeration: an address that already has an account gets exactly the answer a new one gets
// (the same page, status and headers, no cookie either way) after the same work, the password hashed
// in both cases; its owner is emailed a notice instead of a link. Only the mailbox learns which it was.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { emailSubject } from '../accounts/login-subject.ts';
import { checkPassword, serviceNamesFor } from '../accounts/password-policy.ts';
import { hashPassword, normalizePassword } from '../accounts/passwords.ts';
import { readForm } from '../http/form-body.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { insertSignedUpAccount } from '../storage/account-registration.ts';
import { findAccountByEmail } from '../storage/accounts.ts';
import { fieldErrors, returnUid, signUpForm, type FieldError } from './registration-input.ts';
import { page, type RegistrationDeps } from './registration-deps.ts';
import { queueAccountExists, queueVerification } from './registration-emails.ts';
import type { RegistrationLimits } from './registration-limits.ts';

export const PASSWORDS_DIFFER = 'The two passwords do not match. Type the same password twice.';

interface Shown {
  uid?: string | undefined;
  email?: string;
  name?: string;
  errors?: FieldError[];
}

export function registerSignUpRoutes(router: Router, deps: RegistrationDeps, limits: RegistrationLimits): void {
  function render(ctx: Context, shown: Shown, status = 200) {
    const errors = shown.errors ?? [];
    page(
      ctx,
      deps.render,
      'sign-up',
      {
        uid: shown.uid,
        email: (shown.email ?? '').slice(0, 254),
        name: (shown.name ?? '').slice(0, 200),
        errors,
        invalid: Object.fromEntries(errors.map((error) => [error.field, true])),
        // a new account has no second factor yet: the password-only minimum applies
        minLength: deps.passwords.minLength,
      },
      status,
    );
  }

  router.get('/sign-up', (ctx) => {
    render(ctx, { uid: returnUid(ctx.query.uid) });
  });

  router.post('/sign-up', async (ctx) => {
    const form = await readForm(ctx);
    const uid = returnUid(form.uid);
    const parsed = signUpForm.safeParse(form);
    if (!parsed.success) {
      render(ctx, { uid, email: form.email, name: form.name, errors: fieldErrors(parsed.error) }, 400);
      return;
    }
    const { email, name, password, confirmation } = parsed.data;
    // Checked with what the form says, never with the account an address may have: the answer is the
    // same whether it exists or not.
    const problem = checkPassword(password, {
      settings: deps.passwords,
      hasSecondFactor: false,
      context: { email, name, serviceNames: serviceNamesFor(deps.issuer) },
    });
    const errors: FieldError[] = problem
      ? [{ field: 'password', message: `The ${problem.message}.` }]
      : normalizePassword(password) !== normalizePassword(confirmation)
        ? [{ field: 'confirmation', message: PASSWORDS_DIFFER }]
        : [];
    if (errors.length > 0) {
      render(ctx, { uid, email, name, errors }, 400);
      return;
    }

    // spent only by a sign-up that costs a hash and an email (a mistyped form costs neither)
    await limits.signUp(ctx, emailSubject(deps.subjectKey, email));
    // hashed whether or not the address has an account: the answer takes the same time either way
    const passwordHash = await hashPassword(password, deps.passwords.argon2);
    const now = deps.now();
    await deps.db.transaction(async (tx) => {
      // one statement decides: a concurrent sign-up of the same address cannot slip between a check and the insert
      const created = await insertSignedUpAccount(tx, { email, name, passwordHash });
      if (created) {
        await queueVerification(
          tx,
          deps,
          { id: created.id, email, name, credentialEpoch: created.credentialEpoch },
          { now, returnTo: uid },
        );
        await deps.audit.recordWithin(tx, {
          ...requestFacts(ctx),
          type: 'user.signed_up',
          outcome: 'success',
          actor: { type: 'user', id: created.id },
          target: { type: 'user', id: created.id },
          details: { email },
        });
        return;
      }
      const existing = await findAccountByEmail(tx, email);
      if (existing) await queueAccountExists(tx, deps, existing);
      await deps.audit.recordWithin(tx, {
        ...requestFacts(ctx),
        type: 'user.sign_up_refused',
        outcome: 'failure',
        ...(existing ? { target: { type: 'user' as const, id: existing.id } } : {}),
        details: { reason: 'email_taken', email },
      });
    });
    page(ctx, deps.render, 'sign-up-sent', { email, uid });
  });
}
