#!/usr/bin/env bash
# Events benchmark (perf/README.md, "Events"): what the outbox costs the 100,000-user SCIM
# initial sync (the same sync without events, on the commit before them, side by side,
# alternating), how many events a second it writes meanwhile, and how many webhook
# deliveries a second one endpoint gets from a backlog, to a local receiver.
#
#   perf/events-bench.sh
#
# Knobs (environment): USERS=100000 RUNS=2 SEED_CONC=4 DELIVER_USERS=10000 PG=1 SQLITE=1
#   BASE_REV=6a0499e (a commit without events) and EVENTS_REV=HEAD, each built from
#   `git archive` in /tmp/gatehouse-bench/<rev>/ when missing (several minutes each);
#   or BASE_BIN=path EVENTS_BIN=path.
# Only 127.0.0.1; a trap stops what it started. Results: perf/out/events-<timestamp>.md.
set -euo pipefail

PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$PERF_DIR")
USERS=${USERS:-100000}
RUNS=${RUNS:-2}
SEED_CONC=${SEED_CONC:-4}
DELIVER_USERS=${DELIVER_USERS:-10000}
BASE_REV=${BASE_REV:-6a0499e}
EVENTS_REV=${EVENTS_REV:-HEAD}
SSO_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

TS=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$PERF_DIR/out"; RUN="$OUT/events-run-$TS"; RESULTS="$OUT/events-$TS.md"
mkdir -p "$RUN"
T_START=$(date +%s)
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - T_START ))" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

PIDS=()
TMP=$(mktemp -d /tmp/events-bench.XXXXXX)
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.3; done
    kill -9 "$p" 2>/dev/null || true
  done
  cp "$TMP"/*.log "$RUN"/ 2>/dev/null || true
  [ -n "${PG_STOP:-}" ] && "$PG_STOP"
  rm -rf "$TMP"
  exit $code
}
trap cleanup EXIT INT TERM

command -v wrk >/dev/null || die "wrk is missing (apt-get install wrk)"

# The global allocator of the events tree (src/main.rs), given to the base too, so the two
# differ in the outbox alone: the base commit predates the allocator change, which made the
# whole sync faster (perf/README.md, "mimalloc").
ALLOC_DEP=$(git -C "$ROOT" show "$EVENTS_REV:Cargo.toml" | grep -m1 '^mimalloc = ' || true)
with_allocator() { # source dir: adds the events tree's allocator when it has one and dir does not
  [ -n "$ALLOC_DEP" ] && ! grep -q '^mimalloc = ' "$1/Cargo.toml" || return 0
  sed -i "/^\[dependencies\]/a $ALLOC_DEP" "$1/Cargo.toml"
  printf '\n#[global_allocator]\nstatic ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;\n' >> "$1/src/main.rs"
}

built() { # rev -> path of its release binary, built from git archive when missing
  local rev dir
  rev=$(git -C "$ROOT" rev-parse --short "$1")
  dir=/tmp/gatehouse-bench/$rev${ALLOC_DEP:++mimalloc}
  # The binary must be this revision's: another build into the same target directory
  # (from other sources) once left an events build under the base's name. Cargo's
  # dep-info file names the sources it was built from.
  if [ -x "$dir/target/release/gatehouse" ] \
     && ! grep -q "$dir/src/" "$dir/target/release/gatehouse.d" 2>/dev/null; then
    log "$dir/target/release/gatehouse was not built from $dir/src: rebuilding"
    rm -f "$dir/target/release/gatehouse"
  fi
  if [ ! -x "$dir/target/release/gatehouse" ]; then
    log "building gatehouse $rev in $dir (cargo build --release; several minutes)"
    mkdir -p "$dir/src"
    git -C "$ROOT" archive "$rev" | tar -x -C "$dir/src"
    with_allocator "$dir/src"
    (cd "$dir/src" && CARGO_TARGET_DIR="$dir/target" timeout 2400 cargo build --release --quiet) \
      || die "cargo build --release of $rev"
  fi
  echo "$dir/target/release/gatehouse"
}
BASE_BIN=${BASE_BIN:-$(built "$BASE_REV")}
EVENTS_BIN=${EVENTS_BIN:-$(built "$EVENTS_REV")}
cp "$BASE_BIN" "$TMP/gatehouse-base"; cp "$EVENTS_BIN" "$TMP/gatehouse-events"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
busy() { echo "load=$(cut -d' ' -f1 /proc/loadavg) rustc=$(( $(pgrep -c -x rustc || true) + $(pgrep -c -x clippy-driver || true) ))"; }
wait_http() { for _ in $(seq 1 150); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done; return 1; }
stop_pid() { kill "$1" 2>/dev/null || true; for _ in $(seq 1 20); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.25; done; kill -9 "$1" 2>/dev/null || true; }
total_users() { curl -fsS -H "Authorization: Bearer $2" "$1/scim/v2/Users?count=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalResults"])'; }

# The environment of every gatehouse command of one server (the build without events
# does not know the events.* keys).
gh_env() { # label db-url port bin
  echo "GATEHOUSE_DATABASE__URL=$2 GATEHOUSE_LOG__FILTER=warn GATEHOUSE_SERVER__BIND=127.0.0.1:$3 \
GATEHOUSE_SCIM__RATE_PER_SECOND=0 GATEHOUSE_SSO__SECRET_KEY=$SSO_KEY GATEHOUSE_MAIL__OUTBOX_DIR=$TMP/$1-outbox"
  case "${4##*/}" in *events*) echo "GATEHOUSE_EVENTS__WEBHOOKS__ALLOW_LOOPBACK=true" ;; esac
}

# Starts a Gatehouse (binary bin) on db-url; sets GH_PID, GH_BASE, GH_TOKEN, GH_ENV.
start_gatehouse() { # label bin db-url
  local label=$1 bin=$2 port
  port=$(free_port); GH_ENV=$(gh_env "$label" "$3" "$port" "$bin")
  env $GH_ENV "$bin" migrate > "$TMP/$label-cli.log" 2>&1 || die "migrate ($label)"
  env $GH_ENV "$bin" admin bootstrap --org Bench --email admin@bench.test >> "$TMP/$label-cli.log" 2>&1 || die "bootstrap ($label)"
  GH_TOKEN=$(env $GH_ENV "$bin" scim-token create --org Bench --name bench 2>>"$TMP/$label-cli.log" | grep -m1 '^ghs_' || true)
  [ -n "$GH_TOKEN" ] || die "no SCIM token ($label)"
  env $GH_ENV "$bin" serve > "$TMP/$label-server.log" 2>&1 &
  GH_PID=$!; PIDS+=("$GH_PID")
  wait_http "http://127.0.0.1:$port/healthz" || die "gatehouse $label did not start"
  GH_BASE="http://127.0.0.1:$port"
}

# The initial sync with wrk (as perf/scim-bench.sh): seconds until every user is there.
# (Not in a $(...) subshell: the trap must know wrk's pid.)
seed() { # base token count -> seconds
  local base=$1 token=$2 count=$3 t0 t1 wrk_pid
  rm -rf "$TMP/done"; mkdir "$TMP/done"
  t0=$(date +%s.%N)
  env BENCH_LUA_DIR="$PERF_DIR/lua" BENCH_TOKEN="$token" BENCH_PATH=/scim/v2 BENCH_PREFIX=u \
      BENCH_COUNT="$count" BENCH_THREADS=2 BENCH_DONE_DIR="$TMP/done" \
    wrk -t2 -c"$SEED_CONC" -d600s -s "$PERF_DIR/lua/seed_users.lua" "$base" > "$TMP/wrk.log" 2>&1 &
  wrk_pid=$!; PIDS+=("$wrk_pid")
  # Each wrk thread writes a file once all its users are answered (lua/seed_users.lua).
  while kill -0 "$wrk_pid" 2>/dev/null && [ ! -e "$TMP/done/1" -o ! -e "$TMP/done/2" ]; do
    sleep 0.02
  done
  t1=$(date +%s.%N)
  kill -INT "$wrk_pid" 2>/dev/null || true; wait "$wrk_pid" 2>/dev/null || true
  [ "$(total_users "$base" "$token")" -ge "$count" ] || die "the sync did not finish"
  python3 -c "print(f'{$t1 - $t0:.2f}')"
}

# A row with first_id holds two events (store/events.rs).
EVENTS_SQL="SELECT COUNT(*) + COUNT(first_id) FROM events"
count_events() { # db-url -> events in the outbox
  case "$1" in
    sqlite://*) python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "${1#sqlite://}" "$EVENTS_SQL" ;;
    *) psql -qtA "$1" -c "$EVENTS_SQL" ;;
  esac
}

pg_db() { # name -> URL of a new, empty database
  psql -q "$POSTGRES_TEST_URL" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  echo "${POSTGRES_TEST_URL%/*}/$1"
}

# CPU seconds (user + system) the server and the database have used so far: the
# gatehouse process, and on PostgreSQL every postgres process (the throwaway cluster's).
# On a shared machine the sync's wall time moves with the neighbours' load and the disk;
# the CPU it took moves much less, so the table gives both.
cpu_secs() { # backend pid
  python3 - "$@" <<'PY'
import os, sys
backend, pid = sys.argv[1], sys.argv[2]
pids = [pid]
if backend == "postgres":
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and open(f"/proc/{p}/comm").read().strip() == "postgres":
                pids.append(p)
        except OSError:
            pass
ticks = 0
for p in pids:
    try:
        fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        pass
print(ticks / os.sysconf("SC_CLK_TCK"))
PY
}

sync_runs() { # backend: sqlite | postgres
  local backend=$1 run kind url s c0 c1 cpu
  for run in $(seq 1 "$RUNS"); do
    for kind in base events; do
      case "$backend" in
        sqlite) mkdir -p "$TMP/$kind$run"; url="sqlite://$TMP/$kind$run/g.db" ;;
        postgres) url=$(pg_db "ev_${kind}_$run") ;;
      esac
      start_gatehouse "$backend-$kind$run" "$TMP/gatehouse-$kind" "$url"
      log "$backend $kind run $run: syncing $USERS users ($(busy))"
      c0=$(cpu_secs "$backend" "$GH_PID")
      seed "$GH_BASE" "$GH_TOKEN" "$USERS" > "$TMP/seed.out"; s=$(cat "$TMP/seed.out")
      c1=$(cpu_secs "$backend" "$GH_PID")
      cpu=$(python3 -c "print(f'{$c1 - $c0:.2f}')")
      if [ "$kind" = events ]; then
        local n; n=$(count_events "$url")
        log "$backend events run $run: $s s (CPU $cpu s), $n events ($(python3 -c "print(round($n / $s))")/s)"
        echo "$backend events $run $s $n $cpu" >> "$RUN/sync.txt"
      else
        log "$backend base run $run: $s s (CPU $cpu s)"
        echo "$backend base $run $s 0 $cpu" >> "$RUN/sync.txt"
      fi
      stop_pid "$GH_PID"
      if [ "$backend" = sqlite ]; then rm -rf "$TMP/$kind$run"; fi
    done
  done
}

# Deliveries a second from a backlog: the endpoint is disabled while DELIVER_USERS users
# (2 events each) are created, then enabled; timed until the receiver has them all.
deliveries() { # backend url
  local backend=$1 url=$2 sink_port sink_pid id t0 t1 n want
  rm -f "$TMP/sink.port"
  python3 "$PERF_DIR/webhook_sink.py" > "$TMP/sink.port" 2> "$TMP/sink.log" &
  sink_pid=$!; PIDS+=("$sink_pid")
  for _ in $(seq 1 50); do [ -s "$TMP/sink.port" ] && break; sleep 0.1; done
  sink_port=$(head -1 "$TMP/sink.port")
  start_gatehouse "$backend-deliver" "$TMP/gatehouse-events" "$url"
  id=$(env $GH_ENV "$TMP/gatehouse-events" webhook add --url "http://127.0.0.1:$sink_port/hook" 2>>"$TMP/$backend-deliver-cli.log" | awk '/^id:/{print $2}')
  [ -n "$id" ] || die "webhook add"
  env $GH_ENV "$TMP/gatehouse-events" webhook disable --id "$id" >> "$TMP/$backend-deliver-cli.log" 2>&1
  sleep 6 # the server's deliverer starts the operator's stream for Bench (every 5 s)
  seed "$GH_BASE" "$GH_TOKEN" "$DELIVER_USERS" > /dev/null
  want=$((2 * DELIVER_USERS))
  t0=$(date +%s.%N)
  env $GH_ENV "$TMP/gatehouse-events" webhook enable --id "$id" >> "$TMP/$backend-deliver-cli.log" 2>&1
  while :; do
    n=$(curl -fsS "http://127.0.0.1:$sink_port/count")
    [ "$n" -ge "$want" ] && break
    [ "$(python3 -c "print(int($(date +%s.%N) - $t0))")" -lt 900 ] || die "deliveries: $n of $want after 900 s"
    sleep 0.2
  done
  t1=$(date +%s.%N)
  local rate; rate=$(python3 -c "print(round($n / ($t1 - $t0)))")
  log "$backend deliveries: $n in $(python3 -c "print(f'{$t1 - $t0:.1f}')") s = $rate/s"
  echo "$backend $n $(python3 -c "print(f'{$t1 - $t0:.2f}')") $rate" >> "$RUN/deliveries.txt"
  stop_pid "$GH_PID"; stop_pid "$sink_pid"
}

if [ "${SQLITE:-1}" = 1 ]; then
  sync_runs sqlite
  mkdir -p "$TMP/deliver"; deliveries sqlite "sqlite://$TMP/deliver/g.db"
fi
if [ "${PG:-1}" = 1 ]; then
  if [ -z "${POSTGRES_TEST_URL:-}" ]; then
    # shellcheck source=scripts/postgres-throwaway.sh
    source "$ROOT/scripts/postgres-throwaway.sh"
    PG_STOP=stop_throwaway_postgres
    trap cleanup EXIT INT TERM
  fi
  sync_runs postgres
  deliveries postgres "$(pg_db ev_deliver)"
fi

python3 - "$RUN" "$RESULTS" "$USERS" "$DELIVER_USERS" "$(git -C "$ROOT" rev-parse --short "$BASE_REV")" "$(git -C "$ROOT" rev-parse --short "$EVENTS_REV")" <<'PYEOF'
import statistics, sys
run, out, users, deliver_users, base, events = sys.argv[1:7]
rows = [l.split() for l in open(f"{run}/sync.txt")]
lines = [f"# Events benchmark ({users} users; base {base}, events {events})", "",
         "| backend | sync without events (s) | sync with events (s) | slowdown | events written/s | CPU without → with (s, server + database, medians) | CPU slowdown |",
         "|---|---|---|---|---|---|---|"]
for backend in sorted({r[0] for r in rows}):
    b = [float(r[3]) for r in rows if r[0] == backend and r[1] == "base"]
    e = [float(r[3]) for r in rows if r[0] == backend and r[1] == "events"]
    n = [int(r[4]) / float(r[3]) for r in rows if r[0] == backend and r[1] == "events"]
    cb = [float(r[5]) for r in rows if r[0] == backend and r[1] == "base"]
    ce = [float(r[5]) for r in rows if r[0] == backend and r[1] == "events"]
    mb, me = statistics.median(b), statistics.median(e)
    mcb, mce = statistics.median(cb), statistics.median(ce)
    lines.append(f"| {backend} | {', '.join(f'{x:.1f}' for x in b)} (median {mb:.1f}) | "
                 f"{', '.join(f'{x:.1f}' for x in e)} (median {me:.1f}) | {100 * (me / mb - 1):+.1f}% | {statistics.median(n):,.0f} | "
                 f"{mcb:.1f} → {mce:.1f} | {100 * (mce / mcb - 1):+.1f}% |")
lines += ["", f"| backend | deliveries from a backlog of {2 * int(deliver_users)} events, one endpoint | seconds | deliveries/s |", "|---|---|---|---|"]
for l in open(f"{run}/deliveries.txt"):
    backend, n, secs, rate = l.split()
    lines.append(f"| {backend} | {n} | {secs} | {rate} |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PYEOF
log "results: $RESULTS"
