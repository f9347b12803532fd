// A relying party built on openid-client (and a back-channel logout receiver built on
// jose) for Gatehouse's provider tests. One JSON argument; see README.md.
// Line protocol on stdout: `BROWSE <url>` asks the test (the browser) for the URL the
// browser was sent back to, read as one line on stdin; `RESULT <json>` ends a flow;
// the receiver prints `READY <url>`, then `LOGOUT <claims>` or `REJECTED <why>`.
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { text } from 'node:stream/consumers';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (kind, value) => process.stdout.write(`${kind} ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
const ask = async (kind, value) => { say(kind, value); const { value: line, done } = await lines.next(); if (done) process.exit(0); return line.trim(); };
const errorOf = (e) => e?.error ?? e?.cause?.error ?? e?.code ?? String(e);

if (cfg.mode === 'receiver') {
  const jwks = createRemoteJWKSet(new URL(cfg.jwks_uri));
  let audience = cfg.client_id; // or, when not known yet, the first line on stdin
  const server = createServer(async (req, res) => {
    try {
      const token = new URLSearchParams(await text(req)).get('logout_token');
      const { payload } = await jwtVerify(token, jwks, {
        issuer: cfg.issuer, audience, algorithms: ['EdDSA', 'RS256'], maxTokenAge: '5m',
        typ: 'logout+jwt', // explicit typing, Back-Channel Logout 1.0 section 2.4
      });
      // OpenID Connect Back-Channel Logout 1.0, section 2.6.
      const event = payload.events?.['http://schemas.openid.net/event/backchannel-logout'];
      if (typeof event !== 'object' || 'nonce' in payload || !payload.jti || !(payload.sub || payload.sid)) {
        throw new Error('not a logout token');
      }
      res.writeHead(200).end();
      say('LOGOUT', payload);
    } catch (e) {
      res.writeHead(400).end();
      say('REJECTED', String(e));
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  say('READY', `http://127.0.0.1:${server.address().port}/backchannel`);
  if (!audience) audience = (await lines.next()).value?.trim();
  for await (const _ of lines); // until stdin closes
  process.exit(0);
} else {
  const auth = cfg.client_secret ? client.ClientSecretBasic(cfg.client_secret) : client.None();
  const config = await client.discovery(new URL(cfg.issuer), cfg.client_id,
    { id_token_signed_response_alg: cfg.alg ?? 'EdDSA' }, auth, { execute: [client.allowInsecureRequests] });

  const signIn = async () => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: cfg.redirect_uri, scope: 'openid email profile offline_access', state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const back = await ask('BROWSE', url.href);
    return client.authorizationCodeGrant(config, new URL(back),
      { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  };
  const attempt = async (f) => { try { await f(); return 'accepted'; } catch (e) { return errorOf(e); } };

  const tokens = await signIn();
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  const reuse = await attempt(() => client.refreshTokenGrant(config, tokens.refresh_token));
  const family = await attempt(() => client.refreshTokenGrant(config, refreshed.refresh_token));

  const second = await signIn();
  await client.tokenRevocation(config, second.refresh_token);
  const afterRevocation = await attempt(() => client.refreshTokenGrant(config, second.refresh_token));
  const third = await signIn();
  const endSession = client.buildEndSessionUrl(config, {
    id_token_hint: third.id_token, post_logout_redirect_uri: cfg.post_logout_redirect_uri, state: 'bye',
  });
  say('RESULT', {
    claims, userinfo, rotated: refreshed.refresh_token !== tokens.refresh_token,
    refreshed_sub: refreshed.claims()?.sub, reuse, family, afterRevocation,
    end_session_url: endSession.href, third_refresh: third.refresh_token,
  });
}
