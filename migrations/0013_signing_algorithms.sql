-- Signing algorithms chosen per client and per API (issue 12, interoperability).
--
-- Clients: new clients sign their ID tokens with RS256 (OpenID Connect's default for a client that
-- registered no id_token_signed_response_alg) unless they choose another. Clients registered before
-- got ES256, the server's old default: their relying parties were configured for it, so it is
-- written into their metadata and an upgrade changes nothing they see.
UPDATE clients
   SET metadata = metadata || '{"id_token_signed_response_alg": "ES256"}'::jsonb
 WHERE NOT metadata ? 'id_token_signed_response_alg';

-- APIs: the algorithm of their JWT access tokens (ES256 as before; RS256, which RFC 9068 requires
-- every server to offer, PS256 or EdDSA when the API's library needs it).
ALTER TABLE resource_servers
  ADD COLUMN token_alg text NOT NULL DEFAULT 'ES256'
  CHECK (token_alg IN ('RS256', 'ES256', 'PS256', 'EdDSA'));
