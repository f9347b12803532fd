"""A loopback SAML 2.0 identity provider for Gatehouse's tests, built on pysaml2 (which
signs with Debian's xmlsec1 program). Started by tests/it/saml_peer.rs:
    python3 server.py '{"port": 0}'
prints `IDP_READY <base URL>` and serves until stdin closes. The same small protocol as
tests/peers/saml-samlify/server.mjs:
    GET  /metadata             the IdP's metadata
    GET  /sso?SAMLRequest=...  a sign-in form (the person types their email)
    POST /login                signs the response and posts it to the ACS (auto-submitting form)
    POST /respond (JSON)       {email, in_response_to, acs, audience, alg} -> {saml_response}
The service provider's metadata is fetched from its entity id (Gatehouse's entity id is
its metadata URL), so the IdP trusts exactly the SP that asks.
"""

import base64
import html
import json
import os
import re
import sys
import threading
import urllib.parse
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "..", "saml-samlify", "keys")
CONFIG = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
BASE = ""


def idp_config(sp_metadata=None):
    conf = {
        "entityid": CONFIG.get("entity_id") or f"{BASE}/metadata",
        "service": {
            "idp": {
                "endpoints": {"single_sign_on_service": [(f"{BASE}/sso", BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}},
            }
        },
        "key_file": os.path.join(KEYS, "idp2.key"),
        "cert_file": os.path.join(KEYS, "idp2.crt"),
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"inline": [sp_metadata]} if sp_metadata else {},
    }
    cfg = IdPConfig()
    cfg.load(conf)
    return cfg


def respond(o):
    sp_entity = o["audience"]
    with urllib.request.urlopen(sp_entity, timeout=10) as r:
        sp_metadata = r.read().decode("utf-8")
    server = Server(config=idp_config(sp_metadata))
    email = o["email"]
    response = server.create_authn_response(
        identity={"mail": [email], "givenName": [email.split("@")[0]], "sn": ["Tester"]},
        in_response_to=o.get("in_response_to"),
        destination=o["acs"],
        sp_entity_id=sp_entity,
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
        authn={"class_ref": PASSWORDPROTECTEDTRANSPORT},
        sign_assertion=True,
        sign_response=False,
        # pysaml2 still defaults to rsa-sha1, which Gatehouse refuses ("alg": "sha1" asks for it).
        sign_alg=SIG_RSA_SHA1 if o.get("alg") == "sha1" else SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA1 if o.get("alg") == "sha1" else DIGEST_SHA256,
    )
    return base64.b64encode(str(response).encode("utf-8")).decode("ascii")


def parse_request(query):
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode("utf-8")
    attr = lambda n: (re.search(f'{n}="([^"]*)"', xml) or [None, None])[1]
    issuer = (re.search(r"<(?:\w+:)?Issuer[^>]*>([^<]*)<", xml) or [None, None])[1]
    return {"id": attr("ID"), "acs": attr("AssertionConsumerServiceURL"), "issuer": issuer}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write(fmt % args + "\n")

    def send(self, status, body, ctype="text/html; charset=utf-8"):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("content-length", "0"))).decode("utf-8")

    def page(self, inner):
        self.send(200, f"<!doctype html><html><head><title>Test IdP</title></head><body>{inner}</body></html>")

    def do_GET(self):
        try:
            url = urllib.parse.urlparse(self.path)
            if url.path == "/metadata":
                self.send(200, str(entity_descriptor(idp_config())), "application/samlmetadata+xml")
            elif url.path == "/sso":
                q = urllib.parse.parse_qs(url.query)
                r = parse_request(q)
                e = lambda s: html.escape(s or "", quote=True)
                relay = (q.get("RelayState") or [""])[0]
                self.page(
                    f"""<h1>Test IdP (pysaml2)</h1><form method="post" action="/login">
                    <input type="hidden" name="request_id" value="{e(r['id'])}">
                    <input type="hidden" name="acs" value="{e(r['acs'])}">
                    <input type="hidden" name="audience" value="{e(r['issuer'])}">
                    <input type="hidden" name="relay_state" value="{e(relay)}">
                    <label>Email <input id="email" name="email" type="email"></label>
                    <button id="signin" type="submit">Sign in</button></form>"""
                )
            else:
                self.send(404, "")
        except Exception as exc:  # the test reads the log
            sys.stderr.write(f"{exc!r}\n")
            self.send(500, str(exc), "text/plain")

    def do_POST(self):
        try:
            url = urllib.parse.urlparse(self.path)
            if url.path == "/login":
                f = {k: v[0] for k, v in urllib.parse.parse_qs(self.body()).items()}
                saml = respond({"email": f["email"], "in_response_to": f.get("request_id"),
                                "acs": f["acs"], "audience": f["audience"]})
                e = lambda s: html.escape(s or "", quote=True)
                self.page(
                    f"""<form id="post" method="post" action="{e(f['acs'])}">
                    <input type="hidden" name="SAMLResponse" value="{e(saml)}"></form>
                    <script>document.getElementById('post').submit()</script>"""
                )
            elif url.path == "/respond":
                o = json.loads(self.body())
                self.send(200, json.dumps({"saml_response": respond(o)}), "application/json")
            else:
                self.send(404, "")
        except Exception as exc:
            sys.stderr.write(f"{exc!r}\n")
            self.send(500, str(exc), "text/plain")


def main():
    global BASE
    httpd = ThreadingHTTPServer(("127.0.0.1", CONFIG.get("port", 0)), Handler)
    BASE = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print(f"IDP_READY {BASE}", flush=True)
    sys.stdin.read()  # until the test closes it
    httpd.shutdown()


if __name__ == "__main__":
    main()
