#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, private to DIR (data, socket, log) and listening on
# 127.0.0.1 only, with trust authentication (so a password in the URL is accepted and ignored).
#   tests/support/pg_server.sh start DIR [OWNER_PID]
#                                          initdb on first start, start, wait until it accepts
#                                          connections, print postgresql://cordon@127.0.0.1:PORT/postgres;
#                                          with OWNER_PID, also `stop DIR` once that process is gone
#   tests/support/pg_server.sh halt DIR    stop the server but keep its data: the next `start DIR`
#                                          brings it back on the same port (tests of reconnects)
#   tests/support/pg_server.sh stop DIR    stop the server and remove what `start` created in DIR
# DIR must exist (the caller creates it, e.g. with mkdtemp). Only the URL goes to stdout.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user that
# Debian's postgresql package creates (DIR is handed to it). PG_BINDIR overrides where initdb and
# pg_ctl are looked for.
set -euo pipefail

readonly db_user=cordon

# shellcheck source=tests/support/server_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/server_common.sh"

die() {
  echo "pg_server.sh: $*" >&2
  exit 1
}

usage() {
  die "usage: pg_server.sh start DIR [OWNER_PID] | halt DIR | stop DIR"
}

find_bindir() {
  if [[ -n "${PG_BINDIR:-}" ]]; then
    echo "$PG_BINDIR"
    return
  fi
  # Debian keeps the server binaries out of PATH; take the newest installed major version.
  local newest
  newest=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [[ -n "$newest" && -x "$newest/initdb" ]]; then
    echo "$newest"
    return
  fi
  if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then
    pg_config --bindir
    return
  fi
  if command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return
  fi
  die "no PostgreSQL server found (Debian: apt-get install postgresql; or set PG_BINDIR)"
}

# Runs a server binary as the user that owns the cluster.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    # Clear the environment's PG* settings too: they would leak into the server's tools.
    runuser -u postgres -- env -u PGDATA -u PGPORT -u PGHOST "$@"
  else
    env -u PGDATA -u PGPORT -u PGHOST "$@"
  fi
}

start() {
  local dir=$1 owner=$2 bindir port
  bindir=$(find_bindir)
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the postgres system user (apt-get install postgresql)"
    chown postgres: "$dir"
    runuser -u postgres -- test -w "$dir" \
      || die "$dir is not reachable by the postgres user (use a directory under /tmp)"
  fi

  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    # --no-sync: a test cluster need not survive a power cut, and it halves the start time.
    as_owner "$bindir/initdb" -D "$dir/data" -U "$db_user" --auth=trust -E UTF8 \
      --locale=C.UTF-8 --no-sync --no-instructions >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi

  local attempt
  for attempt in 1 2 3 4 5; do
    # A halted server comes back on its old port: clients reconnect to the same URL.
    if [[ -f "$dir/port" ]]; then
      port=$(<"$dir/port")
    else
      port=$(free_port)
    fi
    # -k DIR: the Unix socket lives in DIR, not in /var/run/postgresql (absent or root-owned).
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      break
    fi
    if [[ -f "$dir/port" || $attempt == 5 ]]; then
      tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
      die "the server did not start (log: $dir/server.log)"
    fi
    echo "pg_server.sh: port $port was taken, trying another" >&2
  done

  # pg_ctl -w waited on the socket; wait for TCP on 127.0.0.1 too, which is what tests use.
  local ready=0
  for _ in $(seq 1 100); do
    if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$db_user" -d postgres; then
      ready=1
      break
    fi
    sleep 0.1
  done
  ((ready)) || die "the server does not accept connections on 127.0.0.1:$port"
  if [[ -n "$owner" ]]; then
    watch_owner "$dir" "$owner" data
  fi
  echo "postgresql://$db_user@127.0.0.1:$port/postgres"
}

halt() {
  local dir=$1 bindir
  bindir=$(find_bindir)
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  fi
}

stop() {
  local dir=$1
  halt "$dir"
  rm -rf "$dir/data" "$dir/port" "$dir/server.log" "$dir/initdb.log" "$dir/watcher"
}

(($# == 2)) || { [[ "${1:-}" == start ]] && (($# == 3)); } || usage
[[ -d "$2" ]] || die "$2 is not a directory"
dir=$(cd "$2" && pwd)
case "$1" in
  start) start "$dir" "${3:-}" ;;
  halt) halt "$dir" ;;
  stop) stop "$dir" ;;
  *) usage ;;
esac
