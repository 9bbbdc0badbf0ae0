#!/usr/bin/env bash
# End-to-end tests with the official openai and @anthropic-ai/sdk npm clients.
#   bash tests/e2e/run.sh /path/to/cordon
# Installs the pinned dependencies (npm ci, from package-lock.json) when node_modules is missing
# or older than the lock file, then runs every *.test.mjs with node's built-in test runner.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 CORDON_BINARY" >&2
  exit 2
fi
bin=$1
if [[ $bin != /* ]]; then
  bin="$(pwd)/$bin"
fi
if [[ ! -x $bin ]]; then
  echo "run.sh: $bin is not an executable" >&2
  exit 2
fi

cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ ! -d node_modules || node_modules -ot package-lock.json ]]; then
  npm ci --no-audit --no-fund
  touch node_modules
fi

CORDON_BIN=$bin exec node --test *.test.mjs
