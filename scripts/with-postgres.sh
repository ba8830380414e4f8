#!/usr/bin/env bash
# Runs a command against a private, throw-away PostgreSQL server:
#   scripts/with-postgres.sh COMMAND [ARGS…]
# The server gets its own data directory and port, runs as the 'postgres' user (PostgreSQL refuses root),
# accepts only local connections, and is stopped and removed when the command ends, whatever its outcome.
# The command sees SKILLCERT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres.
set -euo pipefail

PORT="${SKILLCERT_PG_PORT:-54329}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "with-postgres: PostgreSQL server binaries not found (run scripts/install-deps.sh)" >&2
  exit 1
fi
DATA="$(mktemp -d /tmp/skillcert-pg.XXXXXX)"
LOG="$DATA.log"

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  as_pg "$BIN/pg_ctl" -D "$DATA/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DATA" "$LOG"
}
trap cleanup EXIT INT TERM
[ -n "${SKILLCERT_PG_KEEP_LOG:-}" ] && trap "cp \"$LOG\" \"$SKILLCERT_PG_KEEP_LOG\" 2>/dev/null; cleanup" EXIT INT TERM

if [ "$(id -u)" -eq 0 ]; then chown postgres "$DATA"; touch "$LOG"; chown postgres "$LOG"; fi
as_pg "$BIN/initdb" -D "$DATA/db" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$BIN/pg_ctl" -D "$DATA/db" -l "$LOG" -w -t 60 \
  -o "-p $PORT -k $DATA -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=1000" start >/dev/null
echo "with-postgres: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (data in $DATA)"

export SKILLCERT_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
"$@"
