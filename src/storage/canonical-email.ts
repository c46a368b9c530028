// The one form of an email address that everything comparing addresses uses: the account lookup,
// the unique index (accounts.email_key), the lockout counter's key, and every way an account is
// created or renamed. Two spellings with the same form are one account and one counter; if any of
// these read an address another way, a spelling that finds an account on a fresh counter gets a
// fresh round of guesses against it (attack 16 of issue 11).
//
// The form: compatibility-normalised (NFKC: the ﬁ ligature is "fi", a fullwidth ａ is "a"), then
// case-folded. `toLowerCase` alone is not a case folding: it keeps ß, the dotless ı and the long ſ,
// whose capitals are SS, I and S, and it turns İ into "i" + a combining dot. Lowering, raising and
// lowering again folds those onto their plain letters, as Unicode's full case folding does (and as
// PostgreSQL's lower() does for İ); the stray dot above an i goes. One pass is a fixed point
// (test/unit/canonical-email.test.ts checks it over generated strings). The address shown and kept
// for display is the one typed; only comparisons use this form.
export function canonicalEmail(email: string): string {
  return email
    .trim()
    .normalize('NFKC')
    .toLowerCase()
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(/i\u0307/g, 'i')
    .trim();
}

/**
 * Whether a login identifier could be the address of an account: one "@" between two non-empty
 * parts, no spaces or control characters, at most 320 characters (every account's address passed a
 * stricter check when it was set). Anything else is refused as a wrong password would be
 * (src/accounts/authenticate.ts): its password is never checked against an account.
 */
export function couldBeEmail(identifier: string): boolean {
  // judged in the canonical form, as the lookup reads it (a fullwidth "＠" is an "@" there)
  return identifier.length <= 320 && /^[^@\s\p{Cc}]+@[^@\s\p{Cc}]+$/u.test(canonicalEmail(identifier));
}
