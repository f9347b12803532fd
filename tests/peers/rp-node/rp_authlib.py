"""A relying party built on authlib, for Gatehouse's provider tests (see README.md).

Same line protocol as rp.mjs: `BROWSE <url>` then one line on stdin (the URL the
browser came back to); ends with `RESULT <json>`.
"""
import json
import sys

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

cfg = json.loads(sys.argv[1])


def ask(kind, value):
    print(f"{kind} {value}", flush=True)
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return line.strip()


meta = requests.get(cfg["issuer"] + "/.well-known/openid-configuration", timeout=10).json()
assert meta["issuer"] == cfg["issuer"], meta
jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())


def session():
    return OAuth2Session(
        cfg["client_id"],
        cfg.get("client_secret"),
        scope="openid email profile",
        redirect_uri=cfg["redirect_uri"],
        code_challenge_method="S256",
        token_endpoint_auth_method=cfg.get("auth_method", "client_secret_basic"),
    )


def id_claims(token, nonce=None):
    params = {"client_id": cfg["client_id"]}
    if nonce:
        params["nonce"] = nonce
    claims = jwt.decode(
        token["id_token"],
        jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": cfg["issuer"]}},
        claims_params=params,
    )
    claims.validate(leeway=60)
    return dict(claims), claims.header["alg"]


def sign_in(s):
    verifier = generate_token(64)
    nonce = generate_token(20)
    url, state = s.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    back = ask("BROWSE", url)
    token = s.fetch_token(meta["token_endpoint"], authorization_response=back, state=state, code_verifier=verifier)
    return token, nonce


def error_of(f):
    try:
        f()
        return "accepted"
    except Exception as e:  # authlib raises OAuthError with .error
        return getattr(e, "error", None) or str(e)


s = session()
token, nonce = sign_in(s)
claims, alg = id_claims(token, nonce)
userinfo = s.get(meta["userinfo_endpoint"]).json()
first_refresh = token["refresh_token"]
refreshed = s.refresh_token(meta["token_endpoint"], refresh_token=first_refresh)
refreshed_claims, _ = id_claims(refreshed)
reuse = error_of(lambda: session().refresh_token(meta["token_endpoint"], refresh_token=first_refresh))
family = error_of(lambda: session().refresh_token(meta["token_endpoint"], refresh_token=refreshed["refresh_token"]))

s2 = session()
second, _ = sign_in(s2)
introspected = s2.introspect_token(meta["introspection_endpoint"], token=second["access_token"]).json()
s2.revoke_token(meta["revocation_endpoint"], token=second["refresh_token"], token_type_hint="refresh_token")
after_revocation = error_of(lambda: session().refresh_token(meta["token_endpoint"], refresh_token=second["refresh_token"]))
introspected_after = session().introspect_token(meta["introspection_endpoint"], token=second["access_token"]).json()

print("RESULT " + json.dumps({
    "claims": claims, "alg": alg, "userinfo": userinfo,
    "rotated": refreshed["refresh_token"] != first_refresh, "refreshed_sub": refreshed_claims["sub"],
    "reuse": reuse, "family": family, "after_revocation": after_revocation,
    "introspected": introspected, "introspected_after": introspected_after,
}), flush=True)
