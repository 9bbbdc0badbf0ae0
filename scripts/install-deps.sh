#!/usr/bin/env bash
# Installs exactly what cordon needs to build and test on Debian 12. Idempotent: packages that are
# already installed are skipped, so a second run does no network work.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh bench    also the benchmark tools (wrk, nginx, haproxy)
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build make pkg-config git ca-certificates
  # libraries (Boost 1.81, not Debian's default 1.74: it lacks as_tuple and system/result.hpp)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libyaml-cpp-dev libcli11-dev libfmt-dev libspdlog-dev libhyperscan-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # the audit sinks: SQLite, and PostgreSQL (libpq; a real server for its tests,
  # tests/support/pg_server.sh)
  libsqlite3-dev libpq-dev postgresql
  # rate limits shared between replicas: hiredis, and a real Redis for its tests
  # (tests/support/redis_server.sh)
  libhiredis-dev redis-server
  # checks that CI runs: format, tidy, libFuzzer with sanitizers
  clang clang-format clang-tidy libclang-rt-14-dev
  # end-to-end tests drive cordon with the official SDKs from npm
  curl
  # the PERSON / LOCATION gazetteer is generated at build time from miscfiles by a Python script
  miscfiles python3
  # `promtool check metrics` validates GET /metrics in the integration tests
  prometheus
)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [[ "${1:-}" == "bench" ]]; then
  packages+=(wrk nginx haproxy python3)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo_cmd=()
if [[ "$(id -u)" != 0 ]]; then
  sudo_cmd=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
