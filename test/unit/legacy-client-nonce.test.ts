// Which clients may leave PKCE out (pure): only the admin's flag on a confidential client.
import test from 'ava';
import { pkceOptional } from '../../src/oidc/legacy-client-nonce.ts';

test('pkce optional only for a confidential client carrying the flag; never for a public one, whatever its metadata', (t) => {
  t.true(pkceOptional({ clientAuthMethod: 'client_secret_basic', portcullis_pkce_optional: true } as never));
  t.true(pkceOptional({ clientAuthMethod: 'private_key_jwt', portcullis_pkce_optional: true } as never));
  t.false(pkceOptional({ clientAuthMethod: 'none', portcullis_pkce_optional: true } as never), 'a public client must always use PKCE');
  t.false(
    pkceOptional({ clientAuthMethod: 'client_secret_basic', applicationType: 'native', portcullis_pkce_optional: true } as never),
    'nor a native app: its secret ships inside it',
  );
  t.false(pkceOptional({ clientAuthMethod: 'client_secret_basic' }));
  t.false(pkceOptional({ clientAuthMethod: 'client_secret_basic', portcullis_pkce_optional: 'true' } as never), 'only the boolean true');
  t.false(pkceOptional(undefined));
});
