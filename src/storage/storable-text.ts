// Text PostgreSQL can store or compare: well-formed UTF-16 (no lone surrogate, which has no UTF-8
// form) and no NUL (which a `text` value cannot hold; the driver's error would surface as a 500).
// The input guard refuses requests carrying anything else; lookups by an identifier decoded from a
// header or an unverified JWT (a client id in HTTP Basic, a client assertion's `sub`, an
// id_token_hint's `aud`) find nothing for it.
export const isStorableText = (text: string): boolean => text.isWellFormed() && !text.includes('\u0000');
