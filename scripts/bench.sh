#!/usr/bin/env bash
# Runs every benchmark on a fresh machine: Node, npm packages, test servers, then
# bench/run.ts. Extra arguments select benchmarks by name prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
bash scripts/install-test-services.sh
exec node bench/run.ts "$@"
