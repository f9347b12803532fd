#!/usr/bin/env bash
# A CPU profile of one Gatehouse under one SCIM load (the GET filter or the POST of
# perf/scim-bench.sh), with Linux `perf`: where the server's time goes, by function.
#
#   perf/profile.sh get            # GET /Users?filter=userName eq "…" at 2 connections
#   perf/profile.sh post           # POST /Users at 2 connections
#   USERS=10000 SECS=10 BIN=path perf/profile.sh get
#
# Seeds USERS people (default 10,000) on a fresh SQLite file, then records the server
# while wrk runs the load for SECS seconds. Prints the top functions by self time and
# wrk's rate; `perf.data` and the report stay in perf/out/profile-<timestamp>/. For call
# stacks, build with frame pointers (RUSTFLAGS="-C force-frame-pointers=yes") and set
# CALLGRAPH=fp, or set CALLGRAPH=dwarf with any build (larger perf.data, lower rate).
set -euo pipefail
MODE=${1:-get}
ROOT=$(cd "$(dirname "$0")/.." && pwd); PERF_DIR="$ROOT/perf"
USERS=${USERS:-10000}; SECS=${SECS:-10}; BIN=${BIN:-$ROOT/target/release/gatehouse}
command -v perf >/dev/null || { echo "perf is missing (apt-get install linux-perf)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release)" >&2; exit 1; }
OUT="$PERF_DIR/out/profile-$(date -u +%Y%m%dT%H%M%SZ)-$MODE"; mkdir -p "$OUT"
TMP=$(mktemp -d); PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export GATEHOUSE_DATABASE__URL="sqlite://$TMP/g.db" GATEHOUSE_LOG__FILTER=warn \
  GATEHOUSE_SERVER__BIND="127.0.0.1:$port" GATEHOUSE_SCIM__RATE_PER_SECOND=0
"$BIN" migrate >/dev/null
"$BIN" admin bootstrap --org Bench --email admin@bench.test >/dev/null
TOKEN=$("$BIN" scim-token create --org Bench --name bench 2>/dev/null | grep -m1 '^ghs_')
"$BIN" serve > "$OUT/server.log" 2>&1 & PID=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
URL="http://127.0.0.1:$port"
export BENCH_LUA_DIR="$PERF_DIR/lua" BENCH_TOKEN="$TOKEN" BENCH_PATH=/scim/v2
# Seed: wrk posts each user once; stop when the server holds them all. (`env` execs wrk,
# so $! is wrk's pid and it gets the SIGINT.)
env BENCH_PREFIX=u BENCH_COUNT="$USERS" BENCH_THREADS=2 \
  wrk -t2 -c4 -d300s -s "$PERF_DIR/lua/seed_users.lua" "$URL" > "$OUT/seed.txt" 2>&1 & SEED=$!
while :; do
  n=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/scim/v2/Users?count=0" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalResults"])')
  [ "$n" -ge "$USERS" ] && break; sleep 0.5
done
kill -INT "$SEED" 2>/dev/null; wait "$SEED" 2>/dev/null || true
seq 0 $((USERS - 1)) | awk '{printf "u%06d@bench.test\n", $1}' | shuf -n 10000 > "$TMP/names.txt"
case "$MODE" in
  get) script=get_filter.lua; extra=(BENCH_NAMES="$TMP/names.txt") ;;
  post) script=post_users.lua; extra=(BENCH_PREFIX="post-$(date +%s)-") ;;
  *) echo "mode: get or post" >&2; exit 2 ;;
esac
# warm-up (its own userNames: the measured POSTs must all be creates, not 409s)
env "${extra[@]}" BENCH_PREFIX="warm-" wrk -t2 -c2 -d3s -s "$PERF_DIR/lua/$script" "$URL" > /dev/null
cg=()
case "${CALLGRAPH:-}" in
  fp) cg=(-g) ;;
  dwarf) cg=(--call-graph dwarf,16384) ;;  # no rebuild: unwinds through .eh_frame
esac
perf record -F 1999 "${cg[@]}" -p "$PID" -o "$OUT/perf.data" -- sleep "$SECS" 2> "$OUT/perf-record.log" &
REC=$!
env "${extra[@]}" wrk -t2 -c2 -d"${SECS}s" -s "$PERF_DIR/lua/$script" "$URL" > "$OUT/wrk.txt" 2>&1
wait "$REC" || true
perf report -i "$OUT/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null \
  | grep -v '^#' | grep -v '^$' | awk '{$1=$1};1' | sed 's/ - -$//' > "$OUT/report.txt" || true
echo "== $MODE, $USERS users: $(grep -m1 'Requests/sec' "$OUT/wrk.txt")"
head -n "${TOP:-45}" "$OUT/report.txt"
echo "(full report: $OUT/report.txt)"
