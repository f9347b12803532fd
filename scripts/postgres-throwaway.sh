# Sourced by scripts/test: starts a throwaway PostgreSQL on loopback, exports
# POSTGRES_TEST_URL and stops it (deleting its data) when the shell exits.
# PostgreSQL refuses to run as root, so as root it runs as the `postgres` OS user.

pg_bin_dir() {
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && { echo "$d"; return; }
  echo "PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql-15" >&2
  return 1
}

PG_BIN=$(pg_bin_dir)
PG_DIR=$(mktemp -d /tmp/gatehouse-pg.XXXXXX)
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

[ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >"$PG_DIR/initdb.log" 2>&1 \
  || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
# Durability is pointless for a throwaway server; speed is not.
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  >/dev/null || { cat "$PG_DIR/server.log" >&2; exit 1; }

stop_throwaway_postgres() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_throwaway_postgres EXIT

export POSTGRES_TEST_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
echo "throwaway PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DIR)" >&2
