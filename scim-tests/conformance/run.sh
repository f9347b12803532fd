#!/usr/bin/env bash
# Run the public SCIM 2.0 conformance suite scim2-tester against a real gatehouse binary.
#
#   scim-tests/conformance/run.sh [path-to-gatehouse-binary]   (default: target/debug/gatehouse)
#
# Fresh SQLite database in a temp dir, one organization + SCIM token, `gatehouse serve` on a free
# 127.0.0.1 port, scim2-tester against http://127.0.0.1:PORT/scim/v2, server stopped on exit.
# Python deps are pinned in requirements.txt and installed into .venv/ beside this script
# (re-installed when requirements.txt changes). Artifacts (server.log, traffic.jsonl with every
# HTTP exchange tagged by check) go to $CONFORMANCE_OUT (default: scim-tests/conformance/out/).
# Last line: `scim2-tester: N passed, M failed`; exit status non-zero if any check failed.
# Bounded: server start 30 s, suite $CONFORMANCE_TIMEOUT s (default 600), stop 10 s.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="${1:-$REPO/target/debug/gatehouse}"
SUITE_TIMEOUT="${CONFORMANCE_TIMEOUT:-600}"
OUT="${CONFORMANCE_OUT:-$HERE/out}"
VENV="$HERE/.venv"

fail() {
    echo "conformance: $*" >&2
    echo "scim2-tester: 0 passed, 1 failed"
    exit 1
}

[ -x "$BIN" ] || fail "gatehouse binary not found or not executable: $BIN (build it with cargo build)"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
command -v python3 >/dev/null || fail "python3 is required"

# --- Python environment --------------------------------------------------------------------------
REQ_HASH="$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$HERE/requirements.txt")"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$REQ_HASH" ]; then
    echo "conformance: installing scim2-tester into $VENV" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" || fail "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" \
        || fail "pip install -r requirements.txt failed"
    echo "$REQ_HASH" >"$VENV/.requirements.sha256"
fi

# --- Temp dir, database, organization, token ----------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-conformance.XXXXXX")"
SERVER_PID=""
cleanup() {
    local rc=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [ -f "$TMP/server.log" ] && cp "$TMP/server.log" "$OUT/server.log" 2>/dev/null || true
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
rm -f "$OUT/server.log" "$OUT/traffic.jsonl"

unset GATEHOUSE_CONFIG_FILE
export GATEHOUSE_DATABASE__URL="sqlite://$TMP/g.db"
export GATEHOUSE_SERVER__SHUTDOWN_GRACE_SECS=2
# The suite fires requests back to back; the per-token rate limit is not under test here.
export GATEHOUSE_SCIM__RATE_PER_SECOND=0
export GATEHOUSE_LOG__FORMAT=pretty
cd "$TMP"  # anything the binary writes relative to its cwd stays in the temp dir

"$BIN" admin bootstrap --org Conformance --email admin@conformance.test </dev/null >"$TMP/bootstrap.out" 2>&1 \
    || { cat "$TMP/bootstrap.out" >&2; fail "gatehouse admin bootstrap failed"; }
"$BIN" scim-token create --org Conformance --name scim2-tester </dev/null >"$TMP/token.out" 2>"$TMP/token.err" \
    || { cat "$TMP/token.out" "$TMP/token.err" >&2; fail "gatehouse scim-token create failed"; }
TOKEN="$(grep -m1 '^ghs_' "$TMP/token.out" | tr -d '[:space:]' || true)"
[ -n "$TOKEN" ] || { cat "$TMP/token.out" >&2; fail "no ghs_ token in the output of scim-token create"; }

# --- Server ---------------------------------------------------------------------------------------
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
export GATEHOUSE_SERVER__BIND="127.0.0.1:$PORT"
export GATEHOUSE_SERVER__PUBLIC_URL="$BASE"
"$BIN" serve </dev/null >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

ready=""
for _ in $(seq 1 60); do  # 60 x 0.5 s = 30 s
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 40 "$TMP/server.log" >&2; fail "gatehouse serve exited early"; }
    if python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' \
        "$BASE/healthz" >/dev/null 2>&1; then
        ready=1; break
    fi
    sleep 0.5
done
[ -n "$ready" ] || { tail -n 40 "$TMP/server.log" >&2; fail "gatehouse serve not healthy on $BASE/healthz after 30 s"; }
echo "conformance: gatehouse serving on $BASE (pid $SERVER_PID), binary $BIN" >&2

# --- Suite ----------------------------------------------------------------------------------------
set +e
timeout --kill-after=10 "$SUITE_TIMEOUT" "$VENV/bin/python" "$HERE/run_checks.py" \
    --url "$BASE/scim/v2" --token "$TOKEN" --traffic "$OUT/traffic.jsonl" ${CONFORMANCE_VERBOSE:+--verbose}
rc=$?
set -e
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    fail "scim2-tester did not finish within ${SUITE_TIMEOUT} s"
fi
if [ "$rc" -ne 0 ]; then
    echo "conformance: failures; server log: $OUT/server.log, HTTP exchanges: $OUT/traffic.jsonl" >&2
fi
exit "$rc"
