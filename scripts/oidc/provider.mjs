// A real OpenID provider for crisisplan's SSO tests: node-oidc-provider (OpenID Certified), with its own
// development sign-in and consent pages. Started by tests/oidc.py on a free port; settings come from
// the environment:
//   PORT            port to listen on (127.0.0.1)
//   CLIENT_ID       the one client (crisisplan), CLIENT_SECRET its secret
//   REDIRECT_URIS   comma-separated callback URLs crisisplan may ask for
//   GROUPS          JSON: login name -> list of groups (the "groups" claim); unknown logins get []
// Any password signs a login in: the provider's development pages check none.
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const {
  PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS, GROUPS = '{}',
} = process.env;
if (!PORT || !CLIENT_ID || !CLIENT_SECRET || !REDIRECT_URIS) {
  console.error('provider.mjs needs PORT, CLIENT_ID, CLIENT_SECRET and REDIRECT_URIS');
  process.exit(2);
}
const groups = JSON.parse(GROUPS);
const issuer = `http://127.0.0.1:${PORT}`;
// a signing key made for this run only
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const provider = new Provider(issuer, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: REDIRECT_URIS.split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  // every authorization request must carry a PKCE challenge (S256): a client without PKCE is refused
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          preferred_username: sub,
          name: sub,
          email: `${sub}@idp.example`,
          email_verified: true,
          groups: groups[sub] ?? [],
        };
      },
    };
  },
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'run', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [CLIENT_SECRET] },
  features: { devInteractions: { enabled: true } },
});

const server = provider.listen(Number(PORT), '127.0.0.1', () => {
  console.log(`oidc-provider ready at ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
