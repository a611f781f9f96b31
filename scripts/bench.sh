#!/usr/bin/env bash
# Runs every benchmark on a fresh machine: Node, npm packages, test servers
# (MinIO built from source when missing: scripts/minio/install.sh), then
# bench/run.ts. Extra arguments select benchmarks by name prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
bash scripts/install-test-services.sh
# The benchmarks' S3 server (moto stays as a second column): built once, cached outside the repository.
bash scripts/minio/install.sh >/dev/null
exec node bench/run.ts "$@"
