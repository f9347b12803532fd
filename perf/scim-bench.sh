#!/usr/bin/env bash
# SCIM benchmark: Gatehouse (release build, SQLite) side by side with the reference
# Python server (scim2-server, in memory), in one run on this machine. Read perf/README.md.
#
#   perf/scim-bench.sh              # everything; results in perf/out/results-<timestamp>.md
#
# Knobs (environment): USERS=100000 SMALL_USERS=1000 SEED_CONC=4 WRK_SECS=15 WARMUP_SECS=3
#   GROUP_MEMBERS=10000 GROUP_REPS=500 GROUP_CHUNK=500 REF_USERS= (default: 100000, or
#   REF_FALLBACK_USERS=10000 when the probe projects more than REF_SEED_BUDGET=420 s)
#   QUIET_WAIT=20: before each measured phase, wait up to this many seconds for an idle machine
#   BENCH_BIN=path | BUILD_REV=<commit> | default: target/release/gatehouse (built when
#   missing; BUILD=1 rebuilds). KEEP_TMP=1 keeps the temporary databases for inspection.
# It only talks to 127.0.0.1, stops everything it started (trap), and every phase is
# bounded by `timeout`, so a run takes < ~15 minutes.
set -euo pipefail

PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$PERF_DIR")
USERS=${USERS:-100000}
SMALL_USERS=${SMALL_USERS:-1000}
SEED_CONC=${SEED_CONC:-4}
WRK_SECS=${WRK_SECS:-15}
WARMUP_SECS=${WARMUP_SECS:-3}
GROUP_MEMBERS=${GROUP_MEMBERS:-10000}
GROUP_REPS=${GROUP_REPS:-500}
GROUP_CHUNK=${GROUP_CHUNK:-500}
REF_USERS=${REF_USERS:-}
REF_FALLBACK_USERS=${REF_FALLBACK_USERS:-10000}
REF_SEED_BUDGET=${REF_SEED_BUDGET:-420}
REF_PROBE=${REF_PROBE:-2000}
GH_SEED_BUDGET=${GH_SEED_BUDGET:-300}
QUIET_WAIT=${QUIET_WAIT:-20}
SCIM2_SERVER_VERSION=${SCIM2_SERVER_VERSION:-0.8.3}

TS=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$PERF_DIR/out"
RUN="$OUT/run-$TS"          # raw JSON, logs and RSS samples of this run
RESULTS="$OUT/results-$TS.md"
mkdir -p "$RUN"
T_START=$(date +%s)
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - T_START ))" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# ---------------------------------------------------------------- cleanup (trap)
PIDS=()
TMP=$(mktemp -d /tmp/scim-bench.XXXXXX)
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill "${PIDS[i]}" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.3; done
    kill -9 "$p" 2>/dev/null || true
  done
  cp "$TMP"/*.log "$RUN"/ 2>/dev/null || true
  [ -n "${PG_STOP:-}" ] && "$PG_STOP"
  if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $TMP (databases)"; else rm -rf "$TMP"; fi
  [ $code -ne 0 ] && log "stopped with exit code $code; partial data in $RUN"
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- what it needs
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y wrk >/dev/null; }
fi
if ! command -v curl >/dev/null; then apt-get install -y curl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y curl >/dev/null; }; fi
VENV="$PERF_DIR/.venv"
if [ ! -x "$VENV/bin/scim2-server" ]; then
  log "creating $VENV with scim2-server $SCIM2_SERVER_VERSION"
  python3 -m venv "$VENV" 2>/dev/null || { rm -rf "$VENV"; apt-get install -y python3-venv >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y python3-venv >/dev/null; }; python3 -m venv "$VENV"; }
  "$VENV/bin/pip" install -q "scim2-server==$SCIM2_SERVER_VERSION"
fi
PY="$VENV/bin/python"
LOAD=("$PY" "$PERF_DIR/scim_load.py")

# Which Gatehouse: BENCH_BIN=path; or BUILD_REV=<commit> (built from `git archive` in
# $BENCH_BUILD_DIR/<rev>, for when the working tree is mid-edit); or the working tree's
# target/release/gatehouse (built when missing, or always with BUILD=1).
GIT_DIRTY=0
if [ -n "${BENCH_BIN:-}" ]; then
  BIN_SRC=$BENCH_BIN; GIT_REV="given binary $BENCH_BIN"
elif [ -n "${BUILD_REV:-}" ]; then
  GIT_REV=$(git -C "$ROOT" rev-parse --short "$BUILD_REV")
  BDIR=${BENCH_BUILD_DIR:-/tmp/gatehouse-bench}/$GIT_REV
  BIN_SRC=$BDIR/target/release/gatehouse
  if [ ! -x "$BIN_SRC" ]; then
    log "building gatehouse $GIT_REV from git archive in $BDIR (cargo build --release; several minutes)"
    rm -rf "$BDIR/src"; mkdir -p "$BDIR/src"
    git -C "$ROOT" archive "$GIT_REV" | tar -x -C "$BDIR/src"
    (cd "$BDIR/src" && CARGO_TARGET_DIR="$BDIR/target" timeout 2400 cargo build --release --quiet) \
      || die "cargo build --release of $GIT_REV"
  fi
  GIT_REV="commit $GIT_REV"
else
  BIN_SRC=$ROOT/target/release/gatehouse
  if [ "${BUILD:-0}" = 1 ] || [ ! -x "$BIN_SRC" ]; then
    log "building gatehouse (cargo build --release; several minutes)"
    (cd "$ROOT" && timeout 2400 cargo build --release --quiet) \
      || die "cargo build --release failed (working tree mid-edit? try BUILD_REV=HEAD)"
  fi
  GIT_REV="working tree at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  GIT_DIRTY=$(git -C "$ROOT" status --porcelain -- src migrations Cargo.toml Cargo.lock 2>/dev/null | wc -l)
fi
[ -x "$BIN_SRC" ] || die "no gatehouse binary at $BIN_SRC"
# The floor (perf/scim_floor.rs) is built from this tree whichever Gatehouse is measured:
# it shares no code with Gatehouse, only its crates.
log "building the floor (cargo build --release --example scim-floor)"
(cd "$ROOT" && timeout 1200 cargo build --release --quiet --example scim-floor) || die "building scim-floor failed"
FLOOR_BIN="$TMP/scim-floor"; cp "$ROOT/target/release/examples/scim-floor" "$FLOOR_BIN"
# A private copy: another engineer rebuilding target/ mid-run must not change what we measure.
BIN="$TMP/gatehouse"; cp "$BIN_SRC" "$BIN"
BIN_AGE=$(( $(date +%s) - $(stat -c %Y "$BIN_SRC") ))

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Other CPU users on this shared 2-core machine (e.g. a colleague's cargo build).
busy() { echo "load=$(cut -d' ' -f1 /proc/loadavg) rustc=$(( $(pgrep -c -x rustc || true) + $(pgrep -c -x clippy-driver || true) ))"; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Machine-wide CPU jiffies: "busy total" (from /proc/stat).
cpu_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
# Waits (at most QUIET_WAIT s) until the machine is nearly idle (< 25% busy over 1 s), so a
# measured phase does not start in the middle of someone else's compile.
quiet_wait() {
  local waited=0 b1 t1 b2 t2 pct
  while :; do
    read -r b1 t1 < <(cpu_jiffies); sleep 1; read -r b2 t2 < <(cpu_jiffies)
    pct=$(( 100 * (b2 - b1) / (t2 - t1 + 1) ))
    [ "$pct" -lt 25 ] && { [ $waited -gt 0 ] && log "machine idle after ${waited}s"; return 0; }
    waited=$((waited + 1))
    if [ $waited -ge "$QUIET_WAIT" ]; then log "machine still ${pct}% busy after ${QUIET_WAIT}s ($(busy)); going on"; return 0; fi
  done
}
PHASE_FILE="$TMP/phase"; echo setup > "$PHASE_FILE"
# phases.txt: name start epoch busy-jiffies total-jiffies load rustc (report.py derives each
# phase's machine CPU use from consecutive lines).
phase() {
  if [ "${2:-}" = quiet ]; then
    echo "wait $(date +%s.%N) $(date +%s.%N) $(cpu_jiffies) $(busy)" >> "$RUN/phases.txt"
    quiet_wait
  fi
  echo "$1" > "$PHASE_FILE"; log "== $1 ($(busy))"
  echo "$1 start $(date +%s.%N) $(cpu_jiffies) $(busy)" >> "$RUN/phases.txt"
}

# RSS sampler: VmRSS / VmHWM (kB) of a process every second, tagged with the phase.
sample_rss() {
  local pid=$1 label=$2
  while kill -0 "$pid" 2>/dev/null; do
    local rss hwm
    rss=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null) || true
    hwm=$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status" 2>/dev/null) || true
    [ -n "$rss" ] && echo "$(date +%s) $label $(cat "$PHASE_FILE") $rss $hwm $(cpu_ticks "$pid")" >> "$RUN/rss.tsv"
    sleep 1
  done
}

wait_http() { # url [header]
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null ${2:+-H "$2"} "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# Starts a Gatehouse on a fresh database (SQLite in $TMP, or the URL given); sets GH_PID,
# GH_BASE, GH_TOKEN, GH_PORT.
start_gatehouse() { # label [database-url]
  local label=$1 dir="$TMP/$1" port
  mkdir -p "$dir"; port=$(free_port); GH_PORT=$port
  export GATEHOUSE_DATABASE__URL="${2:-sqlite://$dir/g.db}" GATEHOUSE_LOG__FILTER=warn \
         GATEHOUSE_SERVER__BIND="127.0.0.1:$port" GATEHOUSE_LOG__FORMAT=json \
         GATEHOUSE_SCIM__RATE_PER_SECOND=0  # the per-token limit would measure itself
  "$BIN" migrate > "$TMP/$label-cli.log" 2>&1 || die "gatehouse migrate ($label)"
  "$BIN" admin bootstrap --org Bench --email admin@bench.test >> "$TMP/$label-cli.log" 2>&1 \
    || die "gatehouse admin bootstrap ($label)"
  GH_TOKEN=$("$BIN" scim-token create --org Bench --name bench 2>>"$TMP/$label-cli.log" | grep -m1 '^ghs_' || true)
  [ -n "$GH_TOKEN" ] || die "no ghs_ token from gatehouse scim-token create ($label)"
  "$BIN" serve > "$TMP/$label-server.log" 2>&1 &
  GH_PID=$!; PIDS+=("$GH_PID")
  unset GATEHOUSE_DATABASE__URL GATEHOUSE_LOG__FILTER GATEHOUSE_SERVER__BIND GATEHOUSE_LOG__FORMAT GATEHOUSE_SCIM__RATE_PER_SECOND
  wait_http "http://127.0.0.1:$port/healthz" || die "gatehouse ($label) did not start: $(tail -3 "$TMP/$label-server.log")"
  GH_BASE="http://127.0.0.1:$port/scim/v2"
  sample_rss "$GH_PID" "$label" & PIDS+=("$!")
  log "gatehouse $label: pid $GH_PID on $port"
}

stop_pid() { kill "$1" 2>/dev/null || true; for _ in $(seq 1 20); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.25; done; kill -9 "$1" 2>/dev/null || true; }

total_users() { # base token -> totalResults
  curl -fsS -H "Authorization: Bearer $2" "$1/Users?count=0" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["totalResults"])'
}

# wrk run -> BENCH JSON line in $RUN/<name>.json, full output in <name>.txt
run_wrk() { # name secs url script [env...]   (2 threads, 2 connections)
  run_wrk_tc "$1" "$2" "$3" "$4" 2 2 "${@:5}"
}
run_wrk_tc() { # name secs url script threads connections [env...]
  local name=$1 secs=$2 url=$3 script=$4 t=$5 c=$6; shift 6
  env BENCH_LUA_DIR="$PERF_DIR/lua" "$@" timeout $((secs + 30)) \
    wrk -t"$t" -c"$c" -d"${secs}s" --latency -s "$PERF_DIR/lua/$script" "$url" > "$RUN/$name.txt" 2>&1 || true
  grep '^BENCH ' "$RUN/$name.txt" | sed 's/^BENCH //' > "$RUN/$name.json" || true
  [ -s "$RUN/$name.json" ] || die "wrk $name: $(tail -5 "$RUN/$name.txt")"
  log "$name: $(cat "$RUN/$name.json")"
}

# The directory's first push, driven by wrk (C, cheap) so the client is not what limits it:
# each user is POSTed once. wrk itself always runs its whole -d, so the sync's time is
# taken here: from wrk's start until the server holds every user. -> $RUN/<name>.json
wrk_seed() { # name base token count
  local name=$1 base=$2 token=$3 count=$4 t0 t1 created=0 wrk_pid
  rm -rf "$TMP/$name-done"; mkdir "$TMP/$name-done"
  t0=$(date +%s.%N)
  env BENCH_LUA_DIR="$PERF_DIR/lua" BENCH_TOKEN="$token" BENCH_PATH=/scim/v2 BENCH_PREFIX=u \
      BENCH_COUNT="$count" BENCH_THREADS=2 BENCH_DONE_DIR="$TMP/$name-done" \
    wrk -t2 -c"$SEED_CONC" -d"${GH_SEED_BUDGET}s" --latency -s "$PERF_DIR/lua/seed_users.lua" \
    "${base%/scim/v2}" > "$RUN/${name}_wrk.txt" 2>&1 &
  wrk_pid=$!; PIDS+=("$wrk_pid")
  # Each wrk thread writes a file once all its users are answered (lua/seed_users.lua):
  # no polling of the server, whose count of the members is O(n) work.
  while kill -0 "$wrk_pid" 2>/dev/null && [ ! -e "$TMP/$name-done/1" -o ! -e "$TMP/$name-done/2" ]; do
    sleep 0.02
  done
  t1=$(date +%s.%N)
  kill -INT "$wrk_pid" 2>/dev/null || true; wait "$wrk_pid" 2>/dev/null || true
  created=$(total_users "$base" "$token")
  "$PY" - "$RUN/$name.json" "$created" "$t0" "$t1" <<'PYEOF'
import json, sys
out, created, t0, t1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
secs = t1 - t0
json.dump({"created": created, "seconds": secs, "rate": created / secs, "client": "wrk"}, open(out, "w"))
PYEOF
}

# The floor (perf/scim_floor.rs): a bare axum + sqlx server on a fresh database (SQLite
# in $TMP, or the URL given); sets FLOOR_PID, FLOOR_BASE.
start_floor() { # label [database-url [same-rows]]
  local label=$1 port
  port=$(free_port)
  "$FLOOR_BIN" "${2:-sqlite://$TMP/$label.db}" "127.0.0.1:$port" ${3:+"$3"} > "$TMP/$label-server.log" 2>&1 &
  FLOOR_PID=$!; PIDS+=("$FLOOR_PID")
  FLOOR_BASE="http://127.0.0.1:$port/scim/v2"
  wait_http "$FLOOR_BASE/Users" || die "scim-floor ($label) did not start: $(tail -3 "$TMP/$label-server.log")"
  log "floor $label: pid $FLOOR_PID on $port"
}

names_file() { # prefix count file: 10,000 random existing userNames
  "$PY" - "$1" "$2" "$3" <<'EOF'
import random, sys
prefix, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
random.seed(42)
idx = random.sample(range(n), min(n, 10000))
with open(path, "w") as f:
    f.writelines(f"{prefix}{i:06d}@bench.test\n" for i in idx)
EOF
}

echo "{\"rev\":\"$GIT_REV\",\"dirty_files\":$GIT_DIRTY,\"bin_age_s\":$BIN_AGE,\"nproc\":$(nproc),\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//;s/"//g')\",\"wrk_secs\":$WRK_SECS,\"seed_conc\":$SEED_CONC,\"scim2_server\":\"$SCIM2_SERVER_VERSION\",\"start\":\"$TS\"}" > "$RUN/env.json"

# ---------------------------------------------------------------- 1. servers
phase start
start_gatehouse gh100k
GH_MAIN_PID=$GH_PID; GH_MAIN_BASE=$GH_BASE; GH_MAIN_TOKEN=$GH_TOKEN
REF_PORT=$(free_port); REF_TOKEN="ref-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$VENV/bin/scim2-server" --hostname 127.0.0.1 --port "$REF_PORT" --bearer-token "$REF_TOKEN" > "$TMP/ref-server.log" 2>&1 &
REF_PID=$!; PIDS+=("$REF_PID")
REF_BASE="http://127.0.0.1:$REF_PORT/v2"
wait_http "$REF_BASE/ServiceProviderConfig" "Authorization: Bearer $REF_TOKEN" || die "scim2-server did not start"
sample_rss "$REF_PID" ref & PIDS+=("$!")
log "reference scim2-server: pid $REF_PID on $REF_PORT"

# ---------------------------------------------------------------- 2. initial sync
phase seed-gatehouse quiet
c0=$(cpu_ticks "$GH_MAIN_PID")
wrk_seed seed_gh "$GH_MAIN_BASE" "$GH_MAIN_TOKEN" "$USERS"
echo "{\"server_cpu_ticks\":$(( $(cpu_ticks "$GH_MAIN_PID") - c0 ))}" > "$RUN/seed_gh_cpu.json"
log "gatehouse seed: $(cat "$RUN/seed_gh.json")"
GH_N=$(total_users "$GH_MAIN_BASE" "$GH_MAIN_TOKEN")
log "gatehouse stores $GH_N users"

phase seed-reference quiet
timeout $((REF_SEED_BUDGET + 60)) "${LOAD[@]}" seed --base "$REF_BASE" --token "$REF_TOKEN" --prefix u \
  --count "$REF_PROBE" --concurrency "$SEED_CONC" > "$RUN/seed_ref_probe.json" || die "reference probe seed"
REF_PROJ=$("$PY" -c "import json; d=json.load(open('$RUN/seed_ref_probe.json')); print(round($USERS/d['rate']))")
if [ -z "$REF_USERS" ]; then
  if [ "$REF_PROJ" -gt "$REF_SEED_BUDGET" ]; then REF_USERS=$REF_FALLBACK_USERS; else REF_USERS=$USERS; fi
fi
log "reference probe: $(cat "$RUN/seed_ref_probe.json"); 100k projected ${REF_PROJ}s -> seeding $REF_USERS"
timeout $((REF_SEED_BUDGET + 120)) "${LOAD[@]}" seed --base "$REF_BASE" --token "$REF_TOKEN" --prefix u \
  --start "$REF_PROBE" --count $((REF_USERS - REF_PROBE)) --concurrency "$SEED_CONC" \
  --budget $((REF_SEED_BUDGET + 60)) > "$RUN/seed_ref_rest.json" || true
REF_N=$(total_users "$REF_BASE" "$REF_TOKEN")
"$PY" - "$RUN" "$REF_PROJ" "$REF_N" <<'EOF'
import json, sys
run, proj, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = json.load(open(f"{run}/seed_ref_probe.json")); b = json.load(open(f"{run}/seed_ref_rest.json"))
secs = a["seconds"] + b["seconds"]; created = a["created"] + b["created"]
json.dump({"created": created, "stored": n, "seconds": round(secs, 3), "rate": round(created / secs, 1),
           "projected_100k_s_from_probe": proj, "statuses": [a["statuses"], b["statuses"]]},
          open(f"{run}/seed_ref.json", "w"))
EOF
log "reference seed: $(cat "$RUN/seed_ref.json")"

# ---------------------------------------------------------------- 3. GET filter
phase get quiet
names_file u "$GH_N" "$TMP/names_gh.txt"
names_file u "$REF_N" "$TMP/names_ref.txt"
"${LOAD[@]}" check-get --base "$GH_MAIN_BASE" --token "$GH_MAIN_TOKEN" --user-name "$(head -1 "$TMP/names_gh.txt")" >/dev/null \
  || die "gatehouse filter check"
"${LOAD[@]}" check-get --base "$REF_BASE" --token "$REF_TOKEN" --user-name "$(head -1 "$TMP/names_ref.txt")" >/dev/null \
  || die "reference filter check"
GH_URL=${GH_MAIN_BASE%/scim/v2}; REF_URL=${REF_BASE%/v2}
run_wrk warm_get_gh "$WARMUP_SECS" "$GH_URL" get_filter.lua BENCH_TOKEN="$GH_MAIN_TOKEN" BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt"
c0=$(cpu_ticks "$GH_MAIN_PID")
run_wrk get_gh "$WRK_SECS" "$GH_URL" get_filter.lua BENCH_TOKEN="$GH_MAIN_TOKEN" BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt"
echo "{\"server_cpu_ticks\":$(( $(cpu_ticks "$GH_MAIN_PID") - c0 ))}" > "$RUN/get_gh_cpu.json"
run_wrk warm_get_ref "$WARMUP_SECS" "$REF_URL" get_filter.lua BENCH_TOKEN="$REF_TOKEN" BENCH_PATH=/v2 BENCH_NAMES="$TMP/names_ref.txt"
run_wrk get_ref "$WRK_SECS" "$REF_URL" get_filter.lua BENCH_TOKEN="$REF_TOKEN" BENCH_PATH=/v2 BENCH_NAMES="$TMP/names_ref.txt"

# ---------------------------------------------------------------- 4. GET with 1k users stored
phase get-1k quiet
start_gatehouse gh1k
GH_SMALL_PID=$GH_PID
"${LOAD[@]}" seed --base "$GH_BASE" --token "$GH_TOKEN" --prefix u --count "$SMALL_USERS" \
  --concurrency "$SEED_CONC" > "$RUN/seed_gh1k.json" || die "seeding the 1k gatehouse"
names_file u "$SMALL_USERS" "$TMP/names_gh1k.txt"
run_wrk warm_get_gh1k "$WARMUP_SECS" "${GH_BASE%/scim/v2}" get_filter.lua BENCH_TOKEN="$GH_TOKEN" BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh1k.txt"
c0=$(cpu_ticks "$GH_SMALL_PID")
run_wrk get_gh1k "$WRK_SECS" "${GH_BASE%/scim/v2}" get_filter.lua BENCH_TOKEN="$GH_TOKEN" BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh1k.txt"
echo "{\"server_cpu_ticks\":$(( $(cpu_ticks "$GH_SMALL_PID") - c0 ))}" > "$RUN/get_gh1k_cpu.json"
stop_pid "$GH_SMALL_PID"

# ---------------------------------------------------------------- 5. POST
phase post quiet
c0=$(cpu_ticks "$GH_MAIN_PID")
run_wrk post_gh "$WRK_SECS" "$GH_URL" post_users.lua BENCH_TOKEN="$GH_MAIN_TOKEN" BENCH_PATH=/scim/v2 BENCH_PREFIX="post-$TS-"
echo "{\"server_cpu_ticks\":$(( $(cpu_ticks "$GH_MAIN_PID") - c0 ))}" > "$RUN/post_gh_cpu.json"
run_wrk post_ref "$WRK_SECS" "$REF_URL" post_users.lua BENCH_TOKEN="$REF_TOKEN" BENCH_PATH=/v2 BENCH_PREFIX="post-$TS-"

# ---------------------------------------------------------------- 5b. the floor
# The same GET (at both sizes) and POST against a bare axum + sqlx server on the same
# kind of database: Gatehouse's share of it is the figure that does not move with the
# machine or the reference.
phase floor quiet
start_floor floor100k
wrk_seed seed_floor "$FLOOR_BASE" none "$USERS"
log "floor seed: $(cat "$RUN/seed_floor.json")"
FLOOR_URL=${FLOOR_BASE%/scim/v2}
run_wrk warm_get_floor "$WARMUP_SECS" "$FLOOR_URL" get_filter.lua BENCH_TOKEN=none BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt"
run_wrk get_floor "$WRK_SECS" "$FLOOR_URL" get_filter.lua BENCH_TOKEN=none BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt"
run_wrk post_floor "$WRK_SECS" "$FLOOR_URL" post_users.lua BENCH_TOKEN=none BENCH_PATH=/scim/v2 BENCH_PREFIX="post-$TS-"
curl -fsS "$FLOOR_BASE/Users?filter=$("$PY" -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "userName eq \"$(head -1 "$TMP/names_gh.txt")\"")" \
  -o "$RUN/floor_get_body.json" || true
curl -fsS -H "Authorization: Bearer $GH_MAIN_TOKEN" "$GH_MAIN_BASE/Users?filter=$("$PY" -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "userName eq \"$(head -1 "$TMP/names_gh.txt")\"")" \
  -o "$RUN/gh_get_body.json" || true
stop_pid "$FLOOR_PID"
start_floor floor1k
wrk_seed seed_floor1k "$FLOOR_BASE" none "$SMALL_USERS"
run_wrk warm_get_floor1k "$WARMUP_SECS" "${FLOOR_BASE%/scim/v2}" get_filter.lua BENCH_TOKEN=none BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh1k.txt"
run_wrk get_floor1k "$WRK_SECS" "${FLOOR_BASE%/scim/v2}" get_filter.lua BENCH_TOKEN=none BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh1k.txt"
stop_pid "$FLOOR_PID"

# ---------------------------------------------------------------- 6. groups
phase groups quiet
# The 10-member group's PATCHes interleave with the big group's, so both are timed at
# the same moments: timed one after the other, they had once differed by where the
# scheduler had put the server's threads (perf/README.md, "Group PATCH").
timeout 300 "${LOAD[@]}" group-bench --base "$GH_MAIN_BASE" --token "$GH_MAIN_TOKEN" --prefix u \
  --name "Bench 10k" --members "$GROUP_MEMBERS" --reps "$GROUP_REPS" --chunk "$GROUP_CHUNK" \
  --also-name "Bench 10" --also-members 10 > "$RUN/group_both.json" \
  || die "group bench (10k and 10)"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d.pop("also"); json.dump(d,open(sys.argv[2],"w")); json.dump(s,open(sys.argv[3],"w"))' \
  "$RUN/group_both.json" "$RUN/group_big.json" "$RUN/group_small.json"
log "group 10k: $(cat "$RUN/group_big.json")"
log "group 10: $(cat "$RUN/group_small.json")"

# ---------------------------------------------------------------- 6b. the floor with Gatehouse's rows
# The floor that stores Gatehouse's rows (scim-floor `same-rows`): the POST writes the
# person, membership, emails, audit record and events with the one statement of
# Gatehouse's create, in a database Gatehouse made. Gatehouse's share of it is what its
# own code costs a create; the share of the one-row floor includes what it stores.
# After the groups: its seed writes about 2 GB, and the kernel's writeback of it would
# still run during the next phase.
phase floor-rows quiet
ROWS_DB="sqlite://$TMP/floor_rows.db"
GATEHOUSE_DATABASE__URL="$ROWS_DB" GATEHOUSE_LOG__FILTER=warn "$BIN" migrate > "$TMP/floorrows-cli.log" 2>&1 \
  || die "gatehouse migrate (floor rows)"
GATEHOUSE_DATABASE__URL="$ROWS_DB" GATEHOUSE_LOG__FILTER=warn "$BIN" admin bootstrap --org Bench --email admin@bench.test \
  >> "$TMP/floorrows-cli.log" 2>&1 || die "gatehouse admin bootstrap (floor rows)"
start_floor floorrows "$ROWS_DB" same-rows
wrk_seed seed_floor_rows "$FLOOR_BASE" none "$USERS"
log "floor (same rows) seed: $(cat "$RUN/seed_floor_rows.json")"
run_wrk post_floor_rows "$WRK_SECS" "${FLOOR_BASE%/scim/v2}" post_users.lua BENCH_TOKEN=none BENCH_PATH=/scim/v2 BENCH_PREFIX="post-$TS-"
stop_pid "$FLOOR_PID"
rm -f "$TMP"/floor_rows.db*; sync

# ---------------------------------------------------------------- 8. PostgreSQL
# The same phases on PostgreSQL: the throwaway server the tests use (scripts/postgres-
# throwaway.sh: loopback, fsync off), or POSTGRES_TEST_URL. PG=0 skips them.
if [ "${PG:-1}" = 1 ]; then
  phase pg-setup
  if [ -z "${POSTGRES_TEST_URL:-}" ]; then
    # shellcheck source=scripts/postgres-throwaway.sh
    source "$ROOT/scripts/postgres-throwaway.sh"
    PG_STOP=stop_throwaway_postgres
    trap cleanup EXIT   # the sourced script set its own; cleanup stops the server
  fi
  pg_db() { # name -> URL of a new, empty database
    psql -q "$POSTGRES_TEST_URL" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
    echo "${POSTGRES_TEST_URL%/*}/$1"
  }
  PG_GH_URL=$(pg_db bench_gh)
  start_gatehouse pg100k "$PG_GH_URL"
  PG_PID=$GH_PID; PG_BASE=$GH_BASE; PG_TOKEN=$GH_TOKEN; PG_URL=${GH_BASE%/scim/v2}

  phase pg-seed quiet
  c0=$(cpu_ticks "$PG_PID")
  wrk_seed seed_pg "$PG_BASE" "$PG_TOKEN" "$USERS"
  echo "{\"server_cpu_ticks\":$(( $(cpu_ticks "$PG_PID") - c0 ))}" > "$RUN/seed_pg_cpu.json"
  log "postgres seed: $(cat "$RUN/seed_pg.json")"

  phase pg-get quiet
  run_wrk warm_get_pg "$WARMUP_SECS" "$PG_URL" get_filter.lua BENCH_TOKEN="$PG_TOKEN" BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt"
  c0=$(cpu_ticks "$PG_PID")
  run_wrk get_pg "$WRK_SECS" "$PG_URL" get_filter.lua BENCH_TOKEN="$PG_TOKEN" BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt"
  echo "{\"server_cpu_ticks\":$(( $(cpu_ticks "$PG_PID") - c0 ))}" > "$RUN/get_pg_cpu.json"

  phase pg-post quiet
  c0=$(cpu_ticks "$PG_PID")
  run_wrk post_pg "$WRK_SECS" "$PG_URL" post_users.lua BENCH_TOKEN="$PG_TOKEN" BENCH_PATH=/scim/v2 BENCH_PREFIX="post-$TS-"
  echo "{\"server_cpu_ticks\":$(( $(cpu_ticks "$PG_PID") - c0 ))}" > "$RUN/post_pg_cpu.json"

  phase pg-groups quiet
  timeout 300 "${LOAD[@]}" group-bench --base "$PG_BASE" --token "$PG_TOKEN" --prefix u \
    --name "Bench 10k" --members "$GROUP_MEMBERS" --reps "$GROUP_REPS" --chunk "$GROUP_CHUNK" > "$RUN/group_big_pg.json" \
    || die "group bench (10k, postgres)"
  log "postgres group 10k: $(cat "$RUN/group_big_pg.json")"

  # Two replicas on the same database: one wrk per replica at once (1 thread, 2 connections
  # each) beside one replica alone with the same 4 connections.
  phase pg-replicas quiet
  R2_PORT=$(free_port); R2_URL="http://127.0.0.1:$R2_PORT"
  GATEHOUSE_DATABASE__URL="$PG_GH_URL" GATEHOUSE_LOG__FILTER=warn GATEHOUSE_LOG__FORMAT=json \
    GATEHOUSE_SERVER__BIND="127.0.0.1:$R2_PORT" GATEHOUSE_SCIM__RATE_PER_SECOND=0 \
    "$BIN" serve > "$TMP/pg-replica2-server.log" 2>&1 &
  R2_PID=$!; PIDS+=("$R2_PID")
  wait_http "$R2_URL/healthz" || die "second replica did not start: $(tail -3 "$TMP/pg-replica2-server.log")"
  run_wrk_tc get_pg_one "$WRK_SECS" "$PG_URL" get_filter.lua 2 4 BENCH_COUNT_STATUS=1 BENCH_TOKEN="$PG_TOKEN" BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt"
  run_wrk_tc get_pg_r1 "$WRK_SECS" "$PG_URL" get_filter.lua 1 2 BENCH_COUNT_STATUS=1 BENCH_TOKEN="$PG_TOKEN" BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt" &
  W1=$!
  run_wrk_tc get_pg_r2 "$WRK_SECS" "$R2_URL" get_filter.lua 1 2 BENCH_COUNT_STATUS=1 BENCH_TOKEN="$PG_TOKEN" BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt"
  wait "$W1"
  run_wrk_tc post_pg_one "$WRK_SECS" "$PG_URL" post_users.lua 2 4 BENCH_COUNT_STATUS=1 BENCH_TOKEN="$PG_TOKEN" BENCH_PATH=/scim/v2 BENCH_PREFIX="one-$TS-"
  run_wrk_tc post_pg_r1 "$WRK_SECS" "$PG_URL" post_users.lua 1 2 BENCH_COUNT_STATUS=1 BENCH_TOKEN="$PG_TOKEN" BENCH_PATH=/scim/v2 BENCH_PREFIX="r1-$TS-" &
  W1=$!
  # The same userNames on both replicas: each must be created once (409 on the other).
  run_wrk_tc post_pg_r2 "$WRK_SECS" "$R2_URL" post_users.lua 1 2 BENCH_COUNT_STATUS=1 BENCH_TOKEN="$PG_TOKEN" BENCH_PATH=/scim/v2 BENCH_PREFIX="r1-$TS-"
  wait "$W1"
  psql -qAt "$PG_GH_URL" -c "SELECT COUNT(*) FROM (SELECT 1 FROM memberships WHERE user_name_key IS NOT NULL GROUP BY org_id, user_name_key HAVING COUNT(*) > 1) d" \
    > "$RUN/pg_duplicates.txt" || echo "n/a" > "$RUN/pg_duplicates.txt"
  stop_pid "$R2_PID"

  # Four organizations provisioning at once (4 tokens, 4 connections each) beside one alone.
  phase pg-orgs quiet
  stop_pid "$PG_PID"
  start_gatehouse pgorgs "$(pg_db bench_orgs)"
  ORGS_PID=$GH_PID; ORGS_URL=${GH_BASE%/scim/v2}
  ORG_TOKENS=("$GH_TOKEN")
  for n in 2 3 4; do
    GATEHOUSE_DATABASE__URL="${POSTGRES_TEST_URL%/*}/bench_orgs" "$BIN" admin bootstrap --org "Bench $n" --email "admin@bench$n.test" >> "$TMP/pgorgs-cli.log" 2>&1 \
      || die "bootstrap org $n"
    t=$(GATEHOUSE_DATABASE__URL="${POSTGRES_TEST_URL%/*}/bench_orgs" "$BIN" scim-token create --org "Bench $n" --name bench 2>>"$TMP/pgorgs-cli.log" | grep -m1 '^ghs_' || true)
    [ -n "$t" ] || die "no token for org $n"
    ORG_TOKENS+=("$t")
  done
  run_wrk_tc post_org1_alone "$WRK_SECS" "$ORGS_URL" post_users.lua 1 4 BENCH_TOKEN="${ORG_TOKENS[0]}" BENCH_PATH=/scim/v2 BENCH_PREFIX="alone-$TS-"
  WS=()
  # Each organization provisions people of its own (its own prefix): four companies do not
  # share employees, and a person already in another organization takes the slower path
  # that joins the existing account.
  for i in 0 1 2 3; do
    run_wrk_tc "post_org4_$i" "$WRK_SECS" "$ORGS_URL" post_users.lua 1 4 BENCH_TOKEN="${ORG_TOKENS[$i]}" BENCH_PATH=/scim/v2 BENCH_PREFIX="four-$TS-$i-" &
    WS+=("$!")
  done
  wait "${WS[@]}"
  stop_pid "$ORGS_PID"

  phase pg-floor quiet
  start_floor floorpg "$(pg_db bench_floor)"
  wrk_seed seed_floor_pg "$FLOOR_BASE" none "$USERS"
  run_wrk warm_get_floor_pg "$WARMUP_SECS" "${FLOOR_BASE%/scim/v2}" get_filter.lua BENCH_TOKEN=none BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt"
  run_wrk get_floor_pg "$WRK_SECS" "${FLOOR_BASE%/scim/v2}" get_filter.lua BENCH_TOKEN=none BENCH_PATH=/scim/v2 BENCH_NAMES="$TMP/names_gh.txt"
  run_wrk post_floor_pg "$WRK_SECS" "${FLOOR_BASE%/scim/v2}" post_users.lua BENCH_TOKEN=none BENCH_PATH=/scim/v2 BENCH_PREFIX="post-$TS-"
  stop_pid "$FLOOR_PID"
fi

# ---------------------------------------------------------------- 7. report
phase done
sleep 1.2   # one more RSS sample
cp "$TMP"/*.log "$RUN"/ 2>/dev/null || true
"$PY" "$PERF_DIR/report.py" "$RUN" "$USERS" > "$RESULTS"
log "total $(( $(date +%s) - T_START )) s; results: $RESULTS"
cat "$RESULTS"
