// What the sign-in pages load before any handler runs, as router middleware (routes.ts), so no
// handler loads it by hand and none can forget to:
// - on every route, the interaction named by the path, bound to this browser's cookie;
// - on every step after the password, this sign-in's sealed state and its account. Without a state
//   (expired, another interaction's, another browser's) or once a reset voided it (the account's
//   credential epoch moved), the browser is sent back to the password and the handler never runs.
// Handlers read what was loaded through the typed accessors below; one called where its middleware
// did not run is a programming error, and fails the request rather than proceed unguarded.
import type { Context, Middleware, Next } from 'koa';
import type { Interaction } from 'oidc-provider';
import { stillProven } from '../accounts/credential-epoch.ts';
import { AppError } from '../http/app-error.ts';
import type { Database } from '../storage/database.ts';
import { findAccountById, type AccountWithCredentials } from '../storage/accounts.ts';
import type { InteractionKit } from './interaction-kit.ts';
import type { SignInState, SignInStates } from './sign-in-state.ts';

/** A step after the password: the interaction, this sign-in's state, and the account it proved. */
export interface SignInStep {
  interaction: Interaction;
  state: SignInState;
  account: AccountWithCredentials;
}

/** The last step, a new password an administrator required: the state says what the sign-in proved. */
export type PasswordChangeStep = SignInStep & { state: SignInState & Required<Pick<SignInState, 'passwordChange'>> };

const INTERACTION = Symbol('sign-in interaction');
const STEP = Symbol('sign-in step');

function loaded(ctx: Context, key: symbol, what: string): unknown {
  const value = (ctx.state as Record<symbol, unknown>)[key];
  if (value === undefined) throw new Error(`${what} read by a route its middleware does not guard (${ctx.method} ${ctx.path})`);
  return value;
}

/** The interaction of this request (loadInteraction). */
export const interactionOf = (ctx: Context): Interaction => loaded(ctx, INTERACTION, 'the interaction') as Interaction;
/** The step after the password this request is at (requireSignInState). */
export const signInStepOf = (ctx: Context): SignInStep => loaded(ctx, STEP, 'the sign-in state') as SignInStep;
/** The new-password step (requirePasswordChangeDue). */
export function passwordChangeStepOf(ctx: Context): PasswordChangeStep {
  const step = signInStepOf(ctx);
  if (!step.state.passwordChange)
    throw new Error(`the new-password step read by a route its middleware does not guard (${ctx.method} ${ctx.path})`);
  return step as PasswordChangeStep;
}

/** Back to the start of the sign-in (the password), this browser's state dropped. */
export function restartSignIn(ctx: Context, signInStates: SignInStates, uid: string): void {
  signInStates.clear(ctx);
  ctx.status = 303;
  ctx.redirect(`/interaction/${uid}`);
}

/** Every route: the interaction named by the path; it must be the one bound to this browser's cookie. */
export function loadInteraction(kit: Pick<InteractionKit, 'load'>): Middleware {
  return async (ctx: Context, next: Next) => {
    (ctx.state as Record<symbol, unknown>)[INTERACTION] = await kit.load(ctx);
    await next();
  };
}

/**
 * Every step after the password: the interaction must still be at its login prompt, and this
 * browser must hold this interaction's sealed state, at the account's current credential epoch.
 */
export function requireSignInState(deps: { signInStates: SignInStates; db: Database }): Middleware {
  return async (ctx: Context, next: Next) => {
    const interaction = interactionOf(ctx);
    if (interaction.prompt.name !== 'login') throw new AppError('wrong_step', 'This step of the sign-in is already done.', 400);
    const state = deps.signInStates.read(ctx, interaction.uid);
    const account = state && (await findAccountById(deps.db, state.accountId));
    if (!state || !stillProven(state.epoch, account)) {
      restartSignIn(ctx, deps.signInStates, interaction.uid);
      return;
    }
    (ctx.state as Record<symbol, unknown>)[STEP] = { interaction, state, account } satisfies SignInStep;
    await next();
  };
}

/**
 * The new-password step, on top of requireSignInState: only a sign-in that typed the password here
 * and proved every factor it needs (the state says so: SignInState.passwordChange) leads to it.
 */
export function requirePasswordChangeDue(signInStates: SignInStates): Middleware {
  return (ctx: Context, next: Next) => {
    const { interaction, state } = signInStepOf(ctx);
    if (!state.passwordChange || !state.passwordProven) {
      restartSignIn(ctx, signInStates, interaction.uid);
      return;
    }
    return next();
  };
}
