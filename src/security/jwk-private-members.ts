// The members of a JWK that hold key material no one but its owner may have (RFC 7517 §§6.2.2, 6.3.2,
// 6.4.1 for EC/OKP, RSA and symmetric keys). One list for every place that tells a public key from a
// private one: a DPoP proof's embedded key must have none, and a verifier built from our own signing
// keys keeps none.
export const PRIVATE_JWK_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
