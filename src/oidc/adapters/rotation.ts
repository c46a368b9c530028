// A refresh token's rotation in one statement. At the token endpoint oidc-provider consumes the
// refresh token, then saves the one replacing it: two round trips in sequence. Here the consume is
// only noted on the request, and the successor's write does both in one statement (the
// compare-and-set of the old token, and the new one written only if that won,
// storage/oidc-models.ts consumeAndUpsertOidcModel). A lost race still fails the request and revokes
// the grant, from the write instead of the consume; a request failing in between consumes nothing
// and issues nothing.
//
// Only the refresh_token grant is deferred: oidc-provider's handler writes the successor right
// after consuming (lib/actions/grants/refresh_token.js); the replay tests would see a change of
// that order (a rotated token that stays usable).
import type { KoaContextWithOIDC } from 'oidc-provider';
import { tokenRequest } from './request-prefetch.ts';

const deferred = new WeakMap<object, string>();

/** The token request being served when it redeems a refresh token. */
export function refreshRequest(): object | undefined {
  const request = tokenRequest() as KoaContextWithOIDC | undefined;
  return request?.oidc.params?.grant_type === 'refresh_token' ? request : undefined;
}

/** Notes that the request consumes the refresh token stored as `id`, with its successor's write. */
export function deferConsume(request: object, id: string): void {
  deferred.set(request, id);
}

/** The refresh token the request consumes with this write, if any (taken: it is consumed once). */
export function takeDeferredConsume(request: object | undefined): string | undefined {
  if (!request) return undefined;
  const id = deferred.get(request);
  deferred.delete(request);
  return id;
}
