// Answers of the user session and grant routes (src/admin/operations/user-sessions.ts).
import { dateTime, nullable, object, page, string, strings } from './json-schema.ts';

const ids = (description: string) => ({ ...strings, description });

export const USER_SESSION_SCHEMAS = {
  UserSession: object({
    id: { ...string, description: "the session's handle (for DELETE .../sessions/{sessionId}); not its cookie, it opens nothing" },
    signedInAt: nullable(dateTime),
    expiresAt: nullable(dateTime),
    acr: nullable(string),
    amr: strings,
    clients: {
      type: 'array',
      items: object({
        clientId: string,
        name: nullable(string),
        grantId: { ...nullable(string), description: 'the grant made through this session; null once it has ended' },
      }),
    },
  }),
  UserSessionList: page('UserSession'),
  UserGrant: object({
    id: string,
    client: object({ id: string, name: nullable(string) }),
    scopes: ids('OpenID Connect scopes granted'),
    resources: {
      type: 'array',
      items: object({ resource: string, scopes: strings }),
      description: 'API scopes granted, per resource server',
    },
    createdAt: nullable(dateTime),
    expiresAt: nullable(dateTime),
  }),
  UserGrantList: page('UserGrant'),
  UserSessionRevoked: object({
    userId: string,
    email: string,
    sessionId: string,
    revokedGrantIds: ids('grants ended with the session, with their codes and tokens'),
    keptGrantIds: ids('grants with offline access, kept (revoke them one by one, or sign the user out everywhere)'),
  }),
  UserGrantRevoked: object({
    userId: string,
    email: string,
    grantId: string,
    clientId: nullable(string),
    endedRecords: { type: 'integer', description: 'the grant and the codes and tokens issued under it' },
  }),
  UserSignedOutEverywhere: object({
    userId: string,
    email: string,
    sessionIds: strings,
    grantIds: strings,
    otherRecords: { type: 'integer', description: 'codes and tokens ended besides the sessions and grants' },
  }),
};
