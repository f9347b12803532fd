// Loopback OpenID Provider for Gatehouse integration tests, built on panva's
// certified `oidc-provider`. See README.md. Config: one JSON argv or env OP_CONFIG.
// stdout carries exactly one line, `OP_READY http://127.0.0.1:<port>`; all logs go to stderr.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { text } from 'node:stream/consumers';
import { CompactSign, decodeJwt, decodeProtectedHeader } from 'jose';
import Provider from 'oidc-provider';

// oidc-provider prints notices with console.info (stdout): send everything to stderr.
console.log = console.info = console.debug = (...a) => console.error(...a);

const cfg = JSON.parse(process.argv[2] ?? process.env.OP_CONFIG ?? '{}');
const mode = cfg.mode ?? 'generic';
if (!['generic', 'google', 'microsoft'].includes(mode)) throw new Error(`unknown mode ${mode}`);
const accounts = cfg.accounts ?? [];
const MSA_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad'; // default tid when an account has none

// Exit when the parent goes away (stdin closes) or asks politely.
const quit = (why) => { console.error(`test OP exiting: ${why}`); process.exit(0); };
process.stdin.on('end', () => quit('stdin closed')).on('error', () => quit('stdin error')).resume();
process.on('SIGTERM', () => quit('SIGTERM'));
process.on('SIGINT', () => quit('SIGINT'));

// Fresh signing keys per run: RS256 (the default for ID tokens) and ES256, both in the JWKS.
// We keep the private KeyObjects so microsoft mode can re-sign ID tokens (see below).
const privateKeys = new Map();
const jwks = { keys: [['rsa', 'RS256', { modulusLength: 2048 }], ['ec', 'ES256', { namedCurve: 'P-256' }]]
  .map(([type, alg, opts]) => {
    const { privateKey } = generateKeyPairSync(type, opts);
    const kid = `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`;
    privateKeys.set(kid, privateKey);
    return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  }) };

const findByLogin = (login) => {
  const l = String(login ?? '').trim().toLowerCase();
  return l && accounts.find((a) => a.sub.toLowerCase() === l || a.email?.toLowerCase() === l);
};
const tidOf = (a) => a?.tid ?? MSA_TENANT;

// Claims per mode. Unset values are left out (so `hd` only appears when the account has one).
function claimsFor(a) {
  const c = { sub: a.sub, email: a.email, name: a.name };
  if (mode !== 'microsoft') c.email_verified = a.email_verified ?? false; // Entra sends no email_verified
  if (mode === 'google') c.hd = a.hd;
  // Only when the account has them: a directory's own ids, for connections that link by a claim.
  if (mode === 'generic') Object.assign(c, { preferred_username: a.preferred_username, oid: a.oid, employee_id: a.employee_id });
  if (mode === 'microsoft') Object.assign(c, { tid: tidOf(a), oid: a.oid, preferred_username: a.preferred_username ?? a.email });
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined));
}

const server = createServer();
await new Promise((ok, ko) => server.once('error', ko).listen(cfg.port ?? 0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(base, {
  clients: (cfg.clients ?? []).map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    // Either way works: oidc-provider accepts client_secret_post for a client_secret_basic client and vice versa.
    token_endpoint_auth_method: c.token_endpoint_auth_method ?? 'client_secret_basic',
  })),
  jwks,
  cookies: { keys: [randomBytes(32).toString('hex')] },
  responseTypes: ['code'],
  pkce: { required: () => true }, // S256 is the only method oidc-provider v9 supports
  claims: {
    openid: ['sub', 'hd', 'tid', 'oid', 'employee_id'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  conformIdTokenClaims: false, // put scope claims (email, name, ...) in the ID token like Google/Entra do
  features: {
    devInteractions: { enabled: false },
    // Open dynamic registration (RFC 7591) at /reg, when asked: an IdP where a test, as
    // an organization's admin, registers the app once it knows the redirect URI.
    registration: { enabled: cfg.registration === true },
  },
  async findAccount(ctx, sub) {
    const a = accounts.find((x) => x.sub === sub);
    return a && { accountId: a.sub, claims: async () => claimsFor(a) };
  },
  // Consent is auto-granted: every authorization gets a grant for exactly the scopes it asked for.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope ?? 'openid');
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.proxy = false;
for (const ev of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error']) {
  provider.on(ev, (ctx, err) => console.error(`[${ev}] ${err.message} ${err.error_description ?? ''}`));
}

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const loginPage = (uid, hint, error) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Test OP sign-in</title></head><body>
<h1>Sign in to the test OP (${esc(mode)})</h1>${error ? `<p id="error" style="color:red">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
  <label>Email or subject <input type="text" name="login" value="${esc(hint)}" autofocus></label>
  <button type="submit">Sign in</button>
</form></body></html>`;

// Finish an interaction: log the account in, or refuse (access_denied goes back to the client with state).
async function finish(ctx, result) {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(returnTo);
}
const DENY = { error: 'access_denied', error_description: 'the end-user refused (login_hint=deny)' };

// Login UI: GET /interaction/:uid shows the form (or uses login_hint), POST /interaction/:uid/login submits it.
provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!m) return next();
  ctx.set('Cache-Control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params } = details;
  if (ctx.method === 'GET' && !m[2]) {
    if (prompt.name === 'consent') return finish(ctx, { consent: {} }); // auto-grant (loadExistingGrant covers it)
    if (params.login_hint === 'deny') return finish(ctx, DENY);
    const a = cfg.always_show_form ? undefined : findByLogin(params.login_hint);
    if (a) return finish(ctx, { login: { accountId: a.sub } });
    ctx.type = 'html';
    ctx.body = loginPage(details.uid, params.login_hint);
    return;
  }
  if (ctx.method === 'POST' && m[2]) {
    const login = new URLSearchParams(await text(ctx.req)).get('login');
    if (login === 'deny') return finish(ctx, DENY);
    const a = findByLogin(login);
    if (a) return finish(ctx, { login: { accountId: a.sub } });
    ctx.status = 200; // re-render with an error, like a real login page
    ctx.type = 'html';
    ctx.body = loginPage(details.uid, login, `unknown account: ${login}`);
    return;
  }
  ctx.status = 405;
});

// Microsoft (Entra multi-tenant v2.0) emulation. oidc-provider has a single fixed issuer (`base`), used
// for every JWT's `iss` (lib/models/id_token.js passes provider.issuer; there is no per-token hook).
// So, in microsoft mode only:
//  1. /{common|organizations}/v2.0/.well-known/openid-configuration is served by oidc-provider's own
//     discovery with `issuer` rewritten to `${base}/{tenantid}/v2.0` (literal placeholder);
//     /<tid>/v2.0/.well-known/openid-configuration gets the concrete `${base}/<tid>/v2.0`.
//     All endpoints in it (/auth, /token, /jwks, /me) are the provider's real ones.
//  2. The token endpoint runs unchanged (client auth basic/post, code + PKCE S256 verification, nonce),
//     then the ID token in its JSON response is re-signed with the same provider key (same kid/alg, so it
//     verifies against /jwks) after setting `iss` = `${base}/<account tid>/v2.0` and `ver` = "2.0".
//  3. The RFC 9207 `iss` parameter is dropped from authorization responses (Entra does not send it) and
//     discovery says authorization_response_iss_parameter_supported=false.
// The root /.well-known/openid-configuration stays oidc-provider's own (issuer = base).
if (mode === 'microsoft') {
  provider.use(async (ctx, next) => {
    const d = ctx.method === 'GET' && ctx.path.match(/^\/([\w.-]+)\/v2\.0\/\.well-known\/openid-configuration$/);
    if (d) ctx.path = '/.well-known/openid-configuration';
    await next();
    if (d && ctx.status === 200 && ctx.body) {
      const tenant = ['common', 'organizations'].includes(d[1]) ? '{tenantid}' : d[1];
      ctx.body = { ...ctx.body, issuer: `${base}/${tenant}/v2.0`, authorization_response_iss_parameter_supported: false };
    }
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
      const { alg, kid } = decodeProtectedHeader(ctx.body.id_token);
      const claims = decodeJwt(ctx.body.id_token);
      const a = accounts.find((x) => x.sub === claims.sub);
      const payload = { ...claims, iss: `${base}/${tidOf(a)}/v2.0`, ver: '2.0' };
      ctx.body = { ...ctx.body, id_token: await new CompactSign(Buffer.from(JSON.stringify(payload)))
        .setProtectedHeader({ alg, kid }).sign(privateKeys.get(kid)) };
    }
    const loc = ctx.response.get('Location');
    if (loc && loc.includes('iss=')) {
      const u = new URL(loc);
      u.searchParams.delete('iss');
      if (u.hash.includes('iss=')) { const h = new URLSearchParams(u.hash.slice(1)); h.delete('iss'); u.hash = h.toString(); }
      ctx.response.set('Location', u.href);
    }
  });
}

server.on('request', provider.callback());
process.stdout.write(`OP_READY ${base}\n`);
console.error(`test OP (${mode}) listening on ${base}: ${accounts.length} account(s), ${(cfg.clients ?? []).length} client(s)`);
