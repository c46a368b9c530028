-- The admin API is itself an API that trusts Portcullis: a built-in resource server, so its tokens
-- are ordinary RFC 9068 access tokens with audience urn:portcullis:admin, scoped per need.
INSERT INTO resource_servers (identifier, name) VALUES ('urn:portcullis:admin', 'Portcullis admin API')
ON CONFLICT (identifier) DO NOTHING;
INSERT INTO resource_scopes (resource, name, description) VALUES
  ('urn:portcullis:admin', 'admin:read', 'Read clients, APIs, keys and the audit trail'),
  ('urn:portcullis:admin', 'admin:write', 'Create, change and delete clients and APIs, rotate keys'),
  ('urn:portcullis:admin', 'admin:users', 'Read and manage user accounts (with admin:read / admin:write)')
ON CONFLICT (resource, name) DO NOTHING;
