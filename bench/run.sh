#!/usr/bin/env bash
# cordon's load benchmark: `make bench` builds the release tree and runs this.
#   ROUNDS=3 DURATION=5 bench/run.sh
# wrk against `cordon simulate` directly, through nginx as a plain reverse proxy and through
# `cordon serve`, ~2 KB chat request at concurrency 1, 16, 64 (+ streaming at 16); then the micro
# benchmarks, then the time to first token that pseudonymization adds (bench/ttft.py). Writes the
# results sections of docs/benchmarks.md (and build/release/bench/load.json).
# Needs wrk, nginx and python3 (scripts/install-deps.sh bench). Only 127.0.0.1 is used, and every
# process started is stopped on exit, also on failure or Ctrl-C.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
build="${BUILD_DIR:-$repo/build/release}"

for tool in wrk nginx python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench: $tool is missing; run scripts/install-deps.sh bench" >&2
    exit 1
  fi
done
if [[ ! -x "$build/cordon" ]]; then
  echo "bench: $build/cordon not found; build first (cmake --preset release && cmake --build --preset release)" >&2
  exit 1
fi

load_pid=""
cleanup() {
  # load.py stops what it started when it gets SIGTERM; wait for it to finish doing so.
  if [[ -n "$load_pid" ]] && kill -0 "$load_pid" 2>/dev/null; then
    kill -TERM "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

python3 bench/load.py \
  --cordon "$build/cordon" \
  --micro "$build/bench/cordon_micro_bench" \
  --rounds "$ROUNDS" --duration "$DURATION" \
  --doc docs/benchmarks.md --raw "$build/bench/load.json" --repo "$repo" &
load_pid=$!
status=0
wait "$load_pid" || status=$?
load_pid=""
if [[ $status -ne 0 ]]; then
  exit "$status"
fi
# Time to first token added by pseudonymization (the pseudonymization issue's target).
python3 bench/ttft.py --cordon "$build/cordon" --doc docs/benchmarks.md
