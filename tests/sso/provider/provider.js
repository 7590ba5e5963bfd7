// A real OpenID Connect provider (the certified `oidc-provider`) on loopback, for AOCP's single sign-on tests.
//
// It listens on a free port of 127.0.0.1 and prints one JSON line: {"issuer": "http://127.0.0.1:<port>"}.
// Environment: REDIRECT_URI (AOCP's callback), CLIENT_SECRET (of the client "aocp"; the client "other-app"
// has the secret "other-secret" and exists so a test can obtain a genuine ID token issued to someone else).
//
// The login step is a minimal interaction that the test drives: GET /interaction/<uid>?sub=…&email=…
// &email_verified=true&name=…&amr=pwd,mfa signs that person in and consents; ?deny=1 answers access_denied.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const accounts = new Map();
const server = http.createServer();

function configuration() {
  const redirectUris = [process.env.REDIRECT_URI];
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return {
    clients: [
      { client_id: 'aocp', client_secret: process.env.CLIENT_SECRET, redirect_uris: redirectUris },
      { client_id: 'other-app', client_secret: 'other-secret', redirect_uris: redirectUris },
    ],
    jwks: { keys: [{ ...signingKey, kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    findAccount: (ctx, sub) => (accounts.has(sub)
      ? { accountId: sub, claims: () => ({ sub, ...accounts.get(sub) }) }
      : undefined),
    // amr (RFC 8176) says how the person signed in: AOCP's second-factor rules read it.
    claims: { openid: ['sub', 'amr', 'acr'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false, // the email claims go into the ID token itself
    acrValues: ['urn:aocp:test:password', 'urn:aocp:test:mfa'],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['test-only-cookie-key'] },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 300, Interaction: 600, Session: 600, Grant: 600 },
  };
}

async function interaction(provider, ctx) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const q = ctx.query;
  let result;
  if (q.deny) {
    result = { error: 'access_denied', error_description: 'The person declined to sign in.' };
  } else {
    accounts.set(q.sub, {
      email: q.email, email_verified: q.email_verified === 'true', ...(q.name ? { name: q.name } : {}),
    });
    const grant = new provider.Grant({ accountId: q.sub, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const login = { accountId: q.sub, amr: (q.amr || 'pwd').split(','), ...(q.acr ? { acr: q.acr } : {}) };
    result = { login, consent: { grantId: await grant.save() } };
  }
  ctx.status = 303;
  ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
}

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  provider.use(async (ctx, next) => (/^\/interaction\/[^/]+$/.test(ctx.path) ? interaction(provider, ctx) : next()));
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
