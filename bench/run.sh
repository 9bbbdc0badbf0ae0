#!/usr/bin/env bash
# cordon's benchmark suite: `make bench` builds the release tree and runs this.
#   ROUNDS=3 DURATION=5 bench/run.sh
# 1. bench/load.py: wrk against `cordon simulate` directly, through nginx and HAProxy as plain
#    reverse proxies, and through `cordon serve` with the audit off, with the audit in sqlite +
#    sync, and with everything on (pseudonymization and restore, audit sqlite + sync); the same
#    ~2 KB chat request at concurrency 1, 16, 64, non-streaming and streaming; then the micro
#    benchmarks and peak RSS.
# 2. bench/ttft.py: the time to first token that pseudonymization adds.
# 3. bench/streams.py: time to first token and inter-token delay added by cordon on pseudonymized
#    streams with a token delay, and cordon's RSS with OPEN_STREAMS (1000) streams held open.
#    Optional: TTFT_STREAMS (40 per path), OPEN_STREAMS, OPEN_TOKEN_DELAY_MS (200).
# Each writes its results section of docs/benchmarks.md (load.py also build/release/bench/load.json).
# Needs wrk, nginx, haproxy and python3 (scripts/install-deps.sh bench). Only 127.0.0.1 is used,
# and every process started is stopped on exit, also on failure or Ctrl-C.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
build="${BUILD_DIR:-$repo/build/release}"

for tool in wrk nginx haproxy python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench: $tool is missing; run scripts/install-deps.sh bench" >&2
    exit 1
  fi
done
if [[ ! -x "$build/cordon" ]]; then
  echo "bench: $build/cordon not found; build first (cmake --preset release && cmake --build --preset release)" >&2
  exit 1
fi

py_pid=""
cleanup() {
  # The Python scripts stop what they started when they get SIGTERM; wait for them to do so.
  if [[ -n "$py_pid" ]] && kill -0 "$py_pid" 2>/dev/null; then
    kill -TERM "$py_pid" 2>/dev/null || true
    wait "$py_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs one Python step in the background (so that the traps above can stop it) and waits for it.
run_py() {
  python3 "$@" &
  py_pid=$!
  local status=0
  wait "$py_pid" || status=$?
  py_pid=""
  return "$status"
}

run_py bench/load.py \
  --cordon "$build/cordon" \
  --micro "$build/bench/cordon_micro_bench" \
  --rounds "$ROUNDS" --duration "$DURATION" \
  --doc docs/benchmarks.md --raw "$build/bench/load.json" --repo "$repo"
# Time to first token added by pseudonymization (the pseudonymization issue's target).
run_py bench/ttft.py --cordon "$build/cordon" --doc docs/benchmarks.md
# Streaming through cordon with everything on: added TTFT and inter-token delay, open streams.
run_py bench/streams.py --cordon "$build/cordon" --doc docs/benchmarks.md \
  --streams "${TTFT_STREAMS:-40}" --open-streams "${OPEN_STREAMS:-1000}" \
  --open-token-delay-ms "${OPEN_TOKEN_DELAY_MS:-200}"
