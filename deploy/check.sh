#!/usr/bin/env bash
# Checks that the real binary starts with exactly the environment that
# deploy/compose.yaml (service gatehouse-a) and deploy/k8s (ConfigMap, Deployment env,
# Secret template mounted as files) give it, against a throwaway PostgreSQL, and that
# /readyz answers 200 and `gatehouse healthcheck` (the image's HEALTHCHECK) passes.
# Only what cannot work outside a cluster is substituted, and is printed: the
# database host, the listen port, and /run/secrets paths.
#
# Usage: deploy/check.sh [BINARY]   (default: builds target/debug/gatehouse)
# Needs python3 with PyYAML (pip install pyyaml) and psql. No Docker engine needed.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-}
if [ -z "$BIN" ]; then
  cargo build --quiet --bin gatehouse
  BIN=target/debug/gatehouse
fi
BIN=$(realpath "$BIN")
python3 -c 'import yaml' 2>/dev/null || { echo "deploy/check.sh: needs PyYAML (pip install pyyaml)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/gatehouse-deploy-check.XXXXXX)
PID=
STARTED_PG=
cleanup() {
  local status=$?
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  [ $status -ne 0 ] && [ -f "$WORK/serve.log" ] && tail -n 20 "$WORK/serve.log" >&2
  [ -n "$STARTED_PG" ] && stop_throwaway_postgres
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT
if [ -z "${POSTGRES_TEST_URL:-}" ]; then
  # shellcheck source=scripts/postgres-throwaway.sh
  source scripts/postgres-throwaway.sh
  STARTED_PG=1
  trap cleanup EXIT
fi

new_database() {
  local db="gh_deploy_$$_$RANDOM"
  psql -q "$POSTGRES_TEST_URL" -c "CREATE DATABASE $db" >/dev/null
  python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$POSTGRES_TEST_URL" "$db"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Prints the environment (NAME=VALUE per line) a deployment file gives the container.
extract_env() { # compose|k8s SECRETS_DIR
  python3 - "$1" "$2" <<'PY'
import sys, yaml, pathlib
kind, secrets = sys.argv[1], pathlib.Path(sys.argv[2])
env = {}
if kind == "compose":
    compose = yaml.safe_load(open("deploy/compose.yaml"))
    env = {k: str(v) for k, v in compose["services"]["gatehouse-a"]["environment"].items()}
else:
    config = yaml.safe_load(open("deploy/k8s/configmap.yaml"))
    env.update(config["data"])
    secret = yaml.safe_load(open("deploy/k8s/secret.example.yaml"))
    for key, value in secret["stringData"].items():
        (secrets / key).write_text(value)
    deployment = yaml.safe_load(open("deploy/k8s/deployment.yaml"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"].replace("/run/secrets/gatehouse", str(secrets))
        elif item.get("valueFrom", {}).get("fieldRef"):
            env[item["name"]] = "gatehouse-check-pod"
for k, v in env.items():
    print(f"{k}={v}")
PY
}

check_one() { # compose|k8s
  local kind=$1 secrets="$WORK/$1-secrets" port db_url
  mkdir -p "$secrets" "$WORK/$kind-cwd"
  port=$(free_port)
  db_url=$(new_database)
  mapfile -t ENV < <(extract_env "$kind" "$secrets")
  local run_env=("PATH=$PATH") name value
  for pair in "${ENV[@]}"; do
    name=${pair%%=*}; value=${pair#*=}
    case "$name" in
      GATEHOUSE_DATABASE__URL) echo "  $kind: $name -> the throwaway PostgreSQL"; value=$db_url ;;
      GATEHOUSE_SERVER__BIND) echo "  $kind: $name $value -> 127.0.0.1:$port"; value="127.0.0.1:$port" ;;
    esac
    run_env+=("$name=$value")
  done
  if [ "$kind" = k8s ]; then
    echo "  k8s: the Secret's database-url -> the throwaway PostgreSQL"
    printf '%s' "$db_url" >"$secrets/database-url"
  fi
  (cd "$WORK/$kind-cwd" && env -i "${run_env[@]}" "$BIN" config check >/dev/null) \
    || { echo "FAIL $kind: gatehouse config check refused the environment" >&2; return 1; }
  (cd "$WORK/$kind-cwd" && exec env -i "${run_env[@]}" "$BIN" serve >"$WORK/serve.log" 2>&1) &
  PID=$!
  local code=000
  for _ in $(seq 1 150); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)
    [ "$code" = 200 ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.2
  done
  [ "$code" = 200 ] || { echo "FAIL $kind: /readyz answered $code" >&2; return 1; }
  (cd "$WORK/$kind-cwd" && env -i "${run_env[@]}" "$BIN" healthcheck >/dev/null) \
    || { echo "FAIL $kind: gatehouse healthcheck" >&2; return 1; }
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  echo "ok   $kind: starts with its environment, /readyz 200, gatehouse healthcheck passes"
}

check_one compose
check_one k8s
echo "deploy/check.sh: all checks passed"
