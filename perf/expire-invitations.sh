#!/usr/bin/env bash
# Times `expire_invitations` over 1,000,000 pending invitations on SQLite and on a
# throwaway PostgreSQL (release build). PERF_ROWS=N changes the count.
# Prints load rate, job rows/s, total seconds, batch count and the longest batch.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${POSTGRES_URL:-}" ]; then
  # shellcheck source=scripts/postgres-throwaway.sh
  source scripts/postgres-throwaway.sh
  export POSTGRES_URL="$POSTGRES_TEST_URL"
fi
cargo bench --bench expire_invitations
