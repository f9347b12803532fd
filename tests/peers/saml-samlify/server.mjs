// A loopback SAML 2.0 identity provider for Gatehouse's tests, built on samlify (a pure
// JavaScript XML stack: xmldom + xml-crypto, not libxmlsec1). Started by tests/it/saml_peer.rs:
//   node server.mjs '{"port":0,"entity_id":"..."}'
// prints `IDP_READY <base URL>` and serves until stdin closes.
//   GET  /metadata             the IdP's metadata (entity id, HTTP-Redirect SSO URL, signing cert)
//   GET  /sso?SAMLRequest=...  a sign-in form (the person types their email)
//   POST /login                signs the response and posts it to the ACS (auto-submitting form)
//   POST /respond (JSON)       a signed response for the tests to post, or to tamper with first:
//     {email, in_response_to, acs, audience, first_name, last_name, sign: "assertion"|"response"|"both",
//      alg: "sha256"|"sha1", key: "idp"|"attacker", status, destination, recipient, omit_audience,
//      not_on_or_after_secs}
import http from 'node:http';
import fs from 'node:fs';
import zlib from 'node:zlib';
import samlify from 'samlify';

samlify.setSchemaValidator({ validate: async () => 'skipped' });

const config = JSON.parse(process.argv[2] || '{}');
const here = new URL('.', import.meta.url).pathname;
const key = (name) => fs.readFileSync(`${here}keys/${name}.key`, 'utf8');
const cert = (name) => fs.readFileSync(`${here}keys/${name}.crt`, 'utf8');
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const ALGS = {
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
};

let base = '';
const idpName = config.key || 'idp';
function idp(keyName = idpName, alg = 'sha256') {
  return samlify.IdentityProvider({
    entityID: config.entity_id || `${base}/metadata`,
    privateKey: key(keyName),
    signingCert: cert(keyName),
    isAssertionEncrypted: false,
    requestSignatureAlgorithm: ALGS[alg],
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    singleSignOnService: [{ Binding: REDIRECT, Location: `${base}/sso` }],
  });
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function attributeStatement(o) {
  const attr = (name, value) => value ? `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:string">${esc(value)}</saml:AttributeValue></saml:Attribute>` : '';
  return `<saml:AttributeStatement>${attr('email', o.email)}${attr('firstName', o.first_name)}${attr('lastName', o.last_name)}</saml:AttributeStatement>`;
}

async function respond(o) {
  const sign = o.sign || 'assertion';
  const sp = samlify.ServiceProvider({
    entityID: o.audience,
    assertionConsumerService: [{ Binding: POST, Location: o.acs }],
    wantAssertionsSigned: sign !== 'response',
    wantMessageSigned: sign !== 'assertion',
  });
  const provider = idp(o.key || idpName, o.alg || 'sha256');
  const now = new Date();
  const later = new Date(now.getTime() + 1000 * (o.not_on_or_after_secs ?? 300));
  const ids = () => '_' + [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const replace = (template) => {
    let t = template;
    if (o.omit_audience) t = t.replace(/<saml:AudienceRestriction>.*<\/saml:AudienceRestriction>/, '');
    // Elements, not text: put in before the tags are filled (and escaped).
    t = t.replace('{AuthnStatement}', `<saml:AuthnStatement AuthnInstant="${now.toISOString()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`)
      .replace('{AttributeStatement}', attributeStatement(o));
    const id = ids();
    const values = {
      ID: id,
      AssertionID: ids(),
      Destination: o.destination ?? o.acs,
      Audience: o.audience,
      SubjectRecipient: o.recipient ?? o.acs,
      Issuer: config.entity_id || `${base}/metadata`,
      IssueInstant: now.toISOString(),
      StatusCode: o.status || 'urn:oasis:names:tc:SAML:2.0:status:Success',
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: later.toISOString(),
      SubjectConfirmationDataNotOnOrAfter: later.toISOString(),
      NameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      NameID: o.name_id ?? o.email,
      InResponseTo: o.in_response_to || undefined,
    };
    return { id, context: samlify.SamlLib.replaceTagsByValue(t, values) };
  };
  const { context } = await provider.createLoginResponse(sp, {}, 'post', { email: o.email }, replace);
  return context;
}

function parseRequest(query) {
  const xml = zlib.inflateRawSync(Buffer.from(query.get('SAMLRequest') || '', 'base64')).toString('utf8');
  const attr = (name) => (xml.match(new RegExp(`${name}="([^"]*)"`)) || [])[1];
  const issuer = (xml.match(/<(?:\w+:)?Issuer[^>]*>([^<]*)</) || [])[1];
  return { id: attr('ID'), acs: attr('AssertionConsumerServiceURL'), issuer };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function page(res, html) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head><title>Test IdP</title></head><body>${html}</body></html>`);
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, base);
    if (req.method === 'GET' && url.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      res.end(idp().getMetadata());
    } else if (req.method === 'GET' && url.pathname === '/sso') {
      const r = parseRequest(url.searchParams);
      page(res, `<h1>Test IdP (samlify)</h1><form method="post" action="/login">
        <input type="hidden" name="request_id" value="${esc(r.id)}">
        <input type="hidden" name="acs" value="${esc(r.acs)}">
        <input type="hidden" name="audience" value="${esc(r.issuer)}">
        <input type="hidden" name="relay_state" value="${esc(url.searchParams.get('RelayState') || '')}">
        <label>Email <input id="email" name="email" type="email"></label>
        <button id="signin" type="submit">Sign in</button></form>`);
    } else if (req.method === 'POST' && url.pathname === '/login') {
      const f = new URLSearchParams(await readBody(req));
      const email = f.get('email');
      const saml = await respond({ email, in_response_to: f.get('request_id'), acs: f.get('acs'),
        audience: f.get('audience'), first_name: email.split('@')[0], last_name: 'Tester' });
      const relay = f.get('relay_state') ? `<input type="hidden" name="RelayState" value="${esc(f.get('relay_state'))}">` : '';
      page(res, `<form id="post" method="post" action="${esc(f.get('acs'))}"><input type="hidden" name="SAMLResponse" value="${esc(saml)}">${relay}</form><script>document.getElementById('post').submit()</script>`);
    } else if (req.method === 'POST' && url.pathname === '/respond') {
      const o = JSON.parse(await readBody(req));
      const saml = await respond(o);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ saml_response: saml }));
    } else {
      res.writeHead(404).end();
    }
  } catch (e) {
    process.stderr.write(`${e.stack || e}\n`);
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
  }
});

server.listen(config.port || 0, '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`IDP_READY ${base}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
