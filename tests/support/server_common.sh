# shellcheck shell=bash
# Sourced by the scripts that run a private server for the tests (pg_server.sh, redis_server.sh),
# which define `die`.

# A port nobody listens on now. The kernel's choice (bind to port 0) when python3 is there, else
# random probing; `start` retries with another port if the server still loses a race for it.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
    return
  fi
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "no free port found"
}

# watch_owner DIR OWNER MARKER: a test binary that crashes or is killed on timeout never runs its
# `stop`; without this its server would outlive it. Once process OWNER is gone, runs the calling
# script's `stop DIR` (when DIR/MARKER still exists) and removes DIR. Detached from the caller's
# stdout so that nobody waits on the pipe; a second call for the same DIR (a restart after
# `halt`) leaves the first watcher on duty.
watch_owner() {
  local dir=$1 owner=$2 marker=$3 script
  if [[ -f "$dir/watcher" ]] && kill -0 "$(<"$dir/watcher")" 2>/dev/null; then
    return
  fi
  script=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)/$(basename "${BASH_SOURCE[1]}")
  # shellcheck disable=SC2016 # expanded by the inner bash, from its arguments
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
    [[ -e "$2/$3" ]] && "$0" stop "$2" && rmdir "$2"' "$script" "$owner" "$dir" "$marker" \
    </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/watcher"
}
