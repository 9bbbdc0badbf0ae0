#!/usr/bin/env bash
# A throwaway Redis server for tests, private to DIR (pid file, log, working directory), listening
# on 127.0.0.1 only, without persistence (no RDB snapshots, no append-only file).
#   tests/support/redis_server.sh start DIR [OWNER_PID]
#                                          start, wait until it answers PING, print its PORT;
#                                          with OWNER_PID, also `stop DIR` once that process is gone
#   tests/support/redis_server.sh halt DIR start again later on the same port (tests of outages);
#                                          the data goes (there is no persistence)
#   tests/support/redis_server.sh stop DIR stop the server and remove what `start` created in DIR
# DIR must exist (the caller creates it, e.g. with mkdtemp). Only the port goes to stdout.
# REDIS_SERVER overrides the server binary (default: redis-server from PATH, Debian's package).
set -euo pipefail

# shellcheck source=tests/support/server_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/server_common.sh"

die() {
  echo "redis_server.sh: $*" >&2
  exit 1
}

usage() {
  die "usage: redis_server.sh start DIR [OWNER_PID] | halt DIR | stop DIR"
}

server_binary() {
  local binary=${REDIS_SERVER:-redis-server}
  command -v "$binary" >/dev/null 2>&1 \
    || die "no Redis server found (Debian: apt-get install redis-server; or set REDIS_SERVER)"
  command -v "$binary"
}

# PING over bash's /dev/tcp, so that redis-cli (redis-tools) is not needed.
answers_ping() {
  local port=$1 reply=""
  exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 1 reply <&3 || true
  exec 3<&- 3>&-
  [[ "$reply" == "+PONG"* ]]
}

running_pid() {
  local dir=$1 pid
  [[ -f "$dir/redis.pid" ]] || return 1
  pid=$(<"$dir/redis.pid")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  local dir=$1 owner=$2 binary port attempt started=0
  binary=$(server_binary)
  for attempt in 1 2 3 4 5; do
    # A halted server comes back on its old port: clients reconnect to the same address.
    if [[ -f "$dir/port" ]]; then
      port=$(<"$dir/port")
    else
      port=$(free_port)
    fi
    rm -f "$dir/redis.pid"
    "$binary" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/server.log" >/dev/null 2>&1 || true
    for _ in $(seq 1 100); do
      if answers_ping "$port"; then
        started=1
        break
      fi
      # The server exits at once when it cannot bind: no need to wait the whole time.
      if [[ -f "$dir/redis.pid" ]] && ! running_pid "$dir" >/dev/null; then
        break
      fi
      sleep 0.05
    done
    if ((started)); then
      echo "$port" >"$dir/port"
      break
    fi
    if [[ -f "$dir/port" || $attempt == 5 ]]; then
      tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
      die "the server did not start (log: $dir/server.log)"
    fi
    echo "redis_server.sh: port $port was taken, trying another" >&2
  done
  if [[ -n "$owner" ]]; then
    watch_owner "$dir" "$owner" port
  fi
  echo "$port"
}

halt() {
  local dir=$1 pid
  if pid=$(running_pid "$dir"); then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$dir/redis.pid"
}

stop() {
  local dir=$1
  halt "$dir"
  rm -f "$dir/port" "$dir/server.log" "$dir/watcher"
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
