#!/usr/bin/env bash
# Self-test of the loopback OP with curl (HTTP), openssl (PKCE) and node (JSON, JWT verify against /jwks).
# Usage: bash tests/peers/oidc/check.sh   (installs node_modules with `npm ci` if missing)
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules ] || npm ci --no-audit --no-fund >&2
TMP=$(mktemp -d)
OP_PID=
cleanup() { [ -n "$OP_PID" ] && kill "$OP_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
PASS=0 FAIL=0
ok()   { PASS=$((PASS+1)); echo "ok   - $*"; }
bad()  { FAIL=$((FAIL+1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
json() { node -e 'const o=JSON.parse(process.argv[1]); const v=process.argv[2].split(".").reduce((a,k)=>a?.[k],o); console.log(typeof v==="object"?JSON.stringify(v):v??"")' "$1" "$2"; }
qparam() { node -e 'const u=new URL(process.argv[1]||"x:"); console.log(u.searchParams.get(process.argv[2])??"")' "$1" "$2"; }

RP=http://127.0.0.1:9/callback
CLIENT='{"client_id":"gatehouse","client_secret":"s3cret","redirect_uris":["'$RP'"]}'
TID=72f988bf-86f1-41af-91ab-2d7cd011db47
OID=00000000-0000-0000-66f3-3332eca7ea81

# Start the OP with stdin on a FIFO held open by fd 3 (closing fd 3 must stop it); sets OP and OP_PID.
start_op() {
  rm -f "$TMP/in" "$TMP/out"; mkfifo "$TMP/in"; : >"$TMP/out"
  node server.mjs "$1" <"$TMP/in" >"$TMP/out" 2>>"$TMP/op.log" & OP_PID=$!
  exec 3>"$TMP/in"
  for _ in $(seq 100); do grep -q '^OP_READY ' "$TMP/out" && break; sleep 0.1; done
  OP=$(sed -n 's/^OP_READY //p' "$TMP/out")
  check "OP_READY is the only stdout line ($OP)" test "$(wc -l <"$TMP/out")" = 1 -a -n "$OP"
}
wait_exit() { for _ in $(seq 50); do kill -0 "$OP_PID" 2>/dev/null || { OP_PID=; return 0; }; sleep 0.1; done; return 1; }

# authorize DISCOVERY_URL LOGIN_HINT [extra query]: runs the code flow with PKCE S256 through every redirect;
# sets FINAL (redirect to the RP), CODE, VERIFIER, NONCE, STATE, and AUTH/TOKEN/JWKS_URI/ISSUER from discovery.
authorize() {
  DISC=$(curl -fsS "$1"); ISSUER=$(json "$DISC" issuer)
  AUTH=$(json "$DISC" authorization_endpoint); TOKEN=$(json "$DISC" token_endpoint); JWKS_URI=$(json "$DISC" jwks_uri)
  VERIFIER=$(openssl rand -base64 48 | tr '+/' '-_' | tr -d '=\n')
  local challenge; challenge=$(printf %s "$VERIFIER" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '=')
  NONCE=n-$RANDOM$RANDOM STATE=s-$RANDOM$RANDOM
  local url="$AUTH?response_type=code&client_id=gatehouse&redirect_uri=$RP&scope=openid%20email%20profile&state=$STATE&nonce=$NONCE&code_challenge=$challenge&code_challenge_method=S256${2:+&login_hint=$2}${3:-}"
  rm -f "$TMP/jar"
  local next; FINAL=
  for _ in $(seq 10); do  # stop at the RP redirect, or at a page that does not redirect (FINAL = its URL)
    next=$(curl -sS -o /dev/null -b "$TMP/jar" -c "$TMP/jar" -w '%{redirect_url}' "$url")
    case "$next" in "$RP"*) FINAL=$next; break;; "") FINAL=$url; break;; esac; url=$next
  done
  CODE=$(qparam "$FINAL" code)
}
# token [basic|post] [verifier]: exchanges CODE at the token endpoint; sets TOK (JSON) and IDT.
token() {
  local auth=(-u gatehouse:s3cret); [ "${1:-basic}" = post ] && auth=(-d client_id=gatehouse -d client_secret=s3cret)
  TOK=$(curl -sS "${auth[@]}" -d grant_type=authorization_code -d "code=$CODE" -d "redirect_uri=$RP" -d "code_verifier=${2:-$VERIFIER}" "$TOKEN")
  IDT=$(json "$TOK" id_token)
}
# verify EXPECTED_ISS: checks the ID token signature against the JWKS (fetched with curl), iss, aud, nonce; prints claims.
verify() {
  local jwks; jwks=$(curl -fsS "$JWKS_URI")
  CLAIMS=$(node --input-type=module -e '
    import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from "jose";
    const [jwt, jwks, iss, nonce] = process.argv.slice(1);
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(JSON.parse(jwks)), { issuer: iss, audience: "gatehouse" });
    if (payload.nonce !== nonce) throw new Error("nonce mismatch");
    console.log(JSON.stringify(payload));
    console.error("  header:", JSON.stringify(decodeProtectedHeader(jwt)));' "$IDT" "$jwks" "$1" "$NONCE") || { bad "ID token verifies (iss=$1)"; return; }
  ok "ID token signature/iss/aud/nonce verify (iss=$1)"; echo "  payload: $CLAIMS"
}

echo "# generic mode"
start_op '{"port":0,"mode":"generic","clients":['"$CLIENT"'],"accounts":[{"sub":"u-ann","email":"ann@acme.com","email_verified":true,"name":"Ann","hd":"acme.com"}]}'
authorize "$OP/.well-known/openid-configuration" ann@acme.com
check "discovery issuer is $OP" test "$ISSUER" = "$OP"
check "discovery advertises S256 only" test "$(json "$DISC" code_challenge_methods_supported)" = '["S256"]'
check "JWKS has RS256 and ES256 keys" test "$(node -e 'console.log(JSON.parse(process.argv[1]).keys.map(k=>k.alg).sort().join())' "$(curl -fsS "$JWKS_URI")")" = ES256,RS256
check "login_hint shortcut redirects to RP with code and state" test -n "$CODE" -a "$(qparam "$FINAL" state)" = "$STATE"
token basic "wrong-verifier-wrong-verifier-wrong-verifier-000"
check "wrong code_verifier -> invalid_grant" test "$(json "$TOK" error)" = invalid_grant
authorize "$OP/.well-known/openid-configuration" ann@acme.com; token basic
verify "$OP"
check "claims email, email_verified, name; no hd in generic mode" test "$(json "$CLAIMS" email),$(json "$CLAIMS" email_verified),$(json "$CLAIMS" name),$(json "$CLAIMS" hd)" = "ann@acme.com,true,Ann,"
token basic; check "code is single-use" test "$(json "$TOK" error)" = invalid_grant
authorize "$OP/.well-known/openid-configuration" u-ann; token post
check "client_secret_post works (login_hint=sub)" test -n "$IDT"
authorize "$OP/.well-known/openid-configuration" ann@acme.com; TOK=$(curl -sS -u gatehouse:nope -d grant_type=authorization_code -d "code=$CODE" -d "redirect_uri=$RP" -d "code_verifier=$VERIFIER" "$TOKEN")
check "wrong client secret -> invalid_client" test "$(json "$TOK" error)" = invalid_client
authorize "$OP/.well-known/openid-configuration" deny
check "login_hint=deny -> error=access_denied with state" test "$(qparam "$FINAL" error),$(qparam "$FINAL" state)" = "access_denied,$STATE"
# Without PKCE the request must be refused.
url=$(curl -sS -o /dev/null -w '%{redirect_url}' "$AUTH?response_type=code&client_id=gatehouse&redirect_uri=$RP&scope=openid&state=x&login_hint=ann@acme.com")
check "missing code_challenge -> error redirect" test "$(qparam "$url" error)" = invalid_request
# The login form (no login_hint): GET shows it, POST login=... completes the flow without a consent click.
authorize "$OP/.well-known/openid-configuration" ""
check "without login_hint the flow stops at the login page" grep -q "$OP/interaction/" <<<"$FINAL"
page=$(curl -sS -b "$TMP/jar" -c "$TMP/jar" "$FINAL")
check "login form has login field and Sign in button" grep -q '<button type="submit">Sign in</button>' <<<"$page"
action=$(sed -n 's/.*<form method="post" action="\([^"]*\)".*/\1/p' <<<"$page")
url=$(curl -sS -o /dev/null -b "$TMP/jar" -c "$TMP/jar" -w '%{redirect_url}' --data-urlencode "login=nobody@x" "$OP$action")
check "unknown login re-renders the form (no redirect)" test -z "$url"
url=$(curl -sS -o /dev/null -b "$TMP/jar" -c "$TMP/jar" -w '%{redirect_url}' --data-urlencode "login=ann@acme.com" "$OP$action")
for _ in $(seq 10); do case "$url" in "$RP"*) break;; esac; url=$(curl -sS -o /dev/null -b "$TMP/jar" -c "$TMP/jar" -w '%{redirect_url}' "$url"); done
CODE=$(qparam "$url" code); token basic
check "form login -> code -> ID token" test -n "$IDT"
exec 3>&-; check "OP exits when its stdin closes" wait_exit

echo "# google mode"
start_op '{"mode":"google","clients":['"$CLIENT"'],"accounts":[{"sub":"g1","email":"ann@acme.com","email_verified":true,"name":"Ann","hd":"acme.com"},{"sub":"g2","email":"bob@gmail.com","email_verified":true,"name":"Bob"}]}'
authorize "$OP/.well-known/openid-configuration" ann@acme.com; token; verify "$OP"
check "hd present for a Workspace account" test "$(json "$CLAIMS" hd),$(json "$CLAIMS" email_verified)" = "acme.com,true"
authorize "$OP/.well-known/openid-configuration" bob@gmail.com; token; verify "$OP"
check "no hd for a consumer account" test "$(node -e 'console.log("hd" in JSON.parse(process.argv[1]))' "$CLAIMS")" = false
kill -TERM "$OP_PID"; check "OP exits on SIGTERM" wait_exit

echo "# microsoft mode"
start_op '{"mode":"microsoft","clients":['"$CLIENT"'],"accounts":[{"sub":"ms-sub-1","email":"ann@contoso.com","name":"Ann","tid":"'$TID'","oid":"'$OID'"}]}'
for t in common organizations; do
  check "/$t/v2.0 discovery issuer has {tenantid}" test "$(json "$(curl -fsS "$OP/$t/v2.0/.well-known/openid-configuration")" issuer)" = "$OP/{tenantid}/v2.0"
done
check "/<tid>/v2.0 discovery issuer is concrete" test "$(json "$(curl -fsS "$OP/$TID/v2.0/.well-known/openid-configuration")" issuer)" = "$OP/$TID/v2.0"
authorize "$OP/common/v2.0/.well-known/openid-configuration" ann@contoso.com
check "authorization response carries no iss parameter" test -n "$CODE" -a -z "$(qparam "$FINAL" iss)"
token post; verify "$OP/$TID/v2.0"
check "claims tid, oid, email, preferred_username" test "$(json "$CLAIMS" tid),$(json "$CLAIMS" oid),$(json "$CLAIMS" email),$(json "$CLAIMS" preferred_username)" = "$TID,$OID,ann@contoso.com,ann@contoso.com"
authorize "$OP/common/v2.0/.well-known/openid-configuration" ann@contoso.com; token basic wrong-verifier-wrong-verifier-wrong-verifier-000
check "microsoft: wrong code_verifier -> invalid_grant" test "$(json "$TOK" error)" = invalid_grant
authorize "$OP/common/v2.0/.well-known/openid-configuration" deny
check "microsoft: login_hint=deny -> access_denied with state" test "$(qparam "$FINAL" error),$(qparam "$FINAL" state)" = "access_denied,$STATE"
exec 3>&-; check "OP exits when its stdin closes" wait_exit

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ] || { echo "--- OP log"; cat "$TMP/op.log"; exit 1; }
