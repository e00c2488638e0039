// A real OpenID Connect provider for the gateway's tests: the certified
// `oidc-provider` package with its development sign-in form (any password;
// the login name is the account id). Never deployed.
//
//   node provider.mjs   (configured by environment variables)
//     PORT       port on 127.0.0.1
//     CLIENTS    JSON list of clients: [{client_id, client_secret, redirect_uris}]
//     ACCOUNTS   JSON object: {"<account id>": {"email": ..., "name": ..., "email_verified": true}}
//                an account with "login_age": N (seconds) plays a provider that ignores max_age:
//                its sign-ins are recorded N seconds in the past (the ID token's auth_time).
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 0);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.CLIENTS || '[]');
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The account's claims go into the ID token itself (the gateway reads no userinfo).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['spiegel-test-only-cookie-key'] },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  // First-party clients: no consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'name']);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

// A provider that ignores max_age (for the gateway's refusal of a stale re-authentication): the
// login of an account with `login_age` is recorded as that many seconds old.
const loginAccount = provider.Session.prototype.loginAccount;
provider.Session.prototype.loginAccount = function loginWithAge(details) {
  const age = Number(accounts[details.accountId]?.login_age || 0);
  const loginTs = age ? Math.floor(Date.now() / 1000) - age : details.loginTs;
  return loginAccount.call(this, { ...details, ...(loginTs ? { loginTs } : {}) });
};

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
