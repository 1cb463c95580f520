// SPDX-License-Identifier: Apache-2.0
// A real OpenID provider (npm oidc-provider) on loopback for the OIDC integration test.
// Usage: node provider.mjs PORT KID RSA|EC REDIRECT_URI
// Generates a fresh signing key (kid KID) at start, so a restart with another KID is a key
// rotation. devInteractions gives the login and consent forms; the login name is the account.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const [port, kid, kty, redirectUri] = process.argv.slice(2);
const alg = kty === 'EC' ? 'ES256' : 'RS256';
const { privateKey } = kty === 'EC'
  ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
  : generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg };

const accounts = {
  'u-alice': { preferred_username: 'alice', email: 'alice@demo.example', tid: 'demo' },
  'u-erin': { preferred_username: 'erin', email: 'erin@acme.example', tid: 'acme' },
  'u-mallory': { preferred_username: 'mallory', email: 'mallory@demo.example', tid: 'demo' },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'switchboard',
    client_secret: 'sb-test-secret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: alg,
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['switchboard-oidc-test-cookie-key'] },
  claims: {
    openid: ['sub', 'tid'],
    profile: ['preferred_username'],
    email: ['email', 'email_verified'],
  },
  // Put the scope's claims in the ID token (the relying party reads no userinfo).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const a = accounts[id];
    if (!a) return undefined;
    return { accountId: id, async claims() { return { sub: id, email_verified: true, ...a }; } };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`OP listening on http://127.0.0.1:${port} kid=${kid} alg=${alg}`);
});
