// The real objects of a running target that generated requests refer to by placeholder (`{{name}}`,
// or `{{enc:name}}` percent-encoded for a path segment): a request template stays the same across
// targets and refreshes, and its reproduction shows both the template and the values it ran with.
export const VALUE_NAMES = [
  'issuer',
  'host',
  'clientId',
  'clientSecret',
  'clientBasic',
  'publicClientId',
  'adminToken',
  'readToken',
  'accessToken',
  'refreshToken',
  'idToken',
  'code',
  'userId',
  'userEmail',
  'uid',
  'browserCookie',
  'api',
  'victimClientId',
  'victimResource',
  'victimUserId',
  'victimUserEmail',
] as const;

export type ValueName = (typeof VALUE_NAMES)[number];
export type FuzzValues = Record<ValueName, string>;

/** The placeholder for a value, as it appears in a template. */
export const ref = (name: ValueName): string => `{{${name}}}`;
/** The placeholder for a value percent-encoded (a path segment). */
export const encodedRef = (name: ValueName): string => `{{enc:${name}}}`;

export function fillIn(template: string, values: FuzzValues): string {
  if (!template.includes('{{')) return template;
  return template.replace(/\{\{(enc:)?(\w+)\}\}/g, (whole, encoded: string | undefined, name: string) => {
    const value = (values as Record<string, string | undefined>)[name];
    if (value === undefined) return whole;
    return encoded ? encodeURIComponent(value) : value;
  });
}
