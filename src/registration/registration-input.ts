// What the sign-up and invitation forms take, checked at the edge (zod). A refusal names the field it
// is about, so the page can link its error summary to it.
import { z } from 'zod';

/** No control characters (CR, LF, NUL, ...) in a name: it goes into email headers' neighbourhood and onto pages. */
const NO_CONTROLS = /^[^\p{Cc}\p{Cf}\u2028\u2029]*$/u;

export const signUpForm = z.object({
  email: z
    .string({ error: 'Enter your email address.' })
    .trim()
    .min(1, 'Enter your email address.')
    .max(254, 'An email address has at most 254 characters.')
    .pipe(z.email({ error: 'Enter a valid email address, like name@example.com.' })),
  name: z
    .string({ error: 'Enter your name.' })
    .trim()
    .min(1, 'Enter your name.')
    .max(200, 'A name has at most 200 characters.')
    .regex(NO_CONTROLS, 'A name cannot contain line breaks or control characters.'),
  password: z.string({ error: 'Choose a password.' }).min(1, 'Choose a password.'),
  confirmation: z.string().default(''),
  /** The sign-in (interaction uid) the person came from. */
  uid: z.string().optional(),
});

export type SignUpForm = z.output<typeof signUpForm>;

export interface FieldError {
  field: string;
  message: string;
}

/** The form's problems, one per field (the first), in the form's order. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'email');
    if (seen.has(field)) continue;
    seen.add(field);
    errors.push({ field, message: issue.message });
  }
  return errors;
}

/** An interaction uid as oidc-provider makes them (URL-safe): anything else is dropped, never echoed. */
export const returnUid = (uid: unknown): string | undefined =>
  typeof uid === 'string' && /^[A-Za-z0-9_-]{10,64}$/.test(uid) ? uid : undefined;
