// Where our own HTML pages live, each router entered by its prefix: the sign-in steps and the user's
// security page. The app mounts the routers (each with its cross-site guard inside) by these, and the rate
// limits count form submissions to them: one definition, so a new page prefix cannot be guarded in
// one place and forgotten in the other.
export const isSignInPath = (path: string): boolean => path.startsWith('/interaction/');
// `/account` itself is the account page; `/accounts` or `/account.json` are not ours
export const isAccountPath = (path: string): boolean => path === '/account' || path.startsWith('/account/');
export const isOwnPagePath = (path: string): boolean => isSignInPath(path) || isAccountPath(path);
