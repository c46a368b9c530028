// Three APIs, each protected by a JWT library as that library's README shows it, as the README's
// "Use it from your app" tells API authors: `GET /data` needs an access token for `audience` with
// the `read` scope and answers the token's subject.
//
// `clockOffsetSeconds` moves the verifier's clock through the library's own option
// (express-oauth2-jwt-bearer's clockTolerance, jsonwebtoken's clockTimestamp, jose's currentDate):
// how the suite shows an expired token refused without waiting for it to expire.
import express, { type Request, type Response } from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import jwt, { type GetPublicKeyOrSecret, type JwtPayload } from 'jsonwebtoken';
import jwksClient from 'jwks-rsa';

export interface ApiOptions {
  issuer: string;
  audience: string;
  /** The algorithm of the resource server's access tokens (jsonwebtoken wants it named). */
  algorithm: 'ES256' | 'RS256';
  clockOffsetSeconds?: number;
}

const bearer = (request: Request) => /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
const hasScope = (payload: Record<string, unknown>, scope: string) =>
  typeof payload.scope === 'string' && payload.scope.split(' ').includes(scope);

/** Auth0's express-oauth2-jwt-bearer: auth({ issuerBaseURL, audience }) and requiredScopes. */
export function expressOauth2JwtBearerApi(options: ApiOptions) {
  const app = express();
  app.use(
    auth({
      issuerBaseURL: options.issuer,
      audience: options.audience,
      // the library has no clock option: a tolerance of -n seconds is a clock n seconds ahead
      ...(options.clockOffsetSeconds ? { clockTolerance: -options.clockOffsetSeconds } : {}),
    }),
  );
  app.get('/data', requiredScopes('read'), (request, response) => {
    response.json({ sub: request.auth!.payload.sub });
  });
  return app;
}

/** jsonwebtoken with jwks-rsa: the signing key by the token's kid, then jwt.verify. */
export function jsonwebtokenApi(options: ApiOptions) {
  const jwks = jwksClient({ jwksUri: `${options.issuer}/jwks` });
  const getKey: GetPublicKeyOrSecret = (header, callback) => {
    jwks.getSigningKey(header.kid, (error, key) => callback(error, key?.getPublicKey()));
  };
  const app = express();
  app.get('/data', (request: Request, response: Response) => {
    const token = bearer(request);
    if (!token) return void response.status(401).json({ error: 'no token' });
    const clockTimestamp = options.clockOffsetSeconds ? Math.floor(Date.now() / 1000) + options.clockOffsetSeconds : undefined;
    jwt.verify(
      token,
      getKey,
      {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [options.algorithm],
        ...(clockTimestamp ? { clockTimestamp } : {}),
      },
      (error, payload) => {
        if (error) return void response.status(401).json({ error: error.message });
        const claims = payload as JwtPayload;
        if (!hasScope(claims, 'read')) return void response.status(403).json({ error: 'insufficient_scope' });
        response.json({ sub: claims.sub });
      },
    );
  });
  return app;
}

/** jose: createRemoteJWKSet and jwtVerify. */
export function joseApi(options: ApiOptions) {
  const JWKS = createRemoteJWKSet(new URL(`${options.issuer}/jwks`));
  const app = express();
  app.get('/data', async (request: Request, response: Response) => {
    const token = bearer(request);
    if (!token) return void response.status(401).json({ error: 'no token' });
    let payload;
    try {
      ({ payload } = await jwtVerify(token, JWKS, {
        issuer: options.issuer,
        audience: options.audience,
        ...(options.clockOffsetSeconds ? { currentDate: new Date(Date.now() + options.clockOffsetSeconds * 1000) } : {}),
      }));
    } catch (error) {
      return void response.status(401).json({ error: (error as Error).message });
    }
    if (!hasScope(payload, 'read')) return void response.status(403).json({ error: 'insufficient_scope' });
    response.json({ sub: payload.sub });
  });
  return app;
}

export const API_LIBRARIES = {
  'express-oauth2-jwt-bearer': expressOauth2JwtBearerApi,
  'jsonwebtoken + jwks-rsa': jsonwebtokenApi,
  'jose createRemoteJWKSet': joseApi,
} as const;
