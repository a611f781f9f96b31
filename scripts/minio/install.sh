#!/usr/bin/env bash
# Builds, when missing, the MinIO server pinned below from the Go module proxy
# (`go install github.com/minio/minio@<version>`) into a cache outside the
# repository, never committed:
#   ${JOBKIT_MINIO_CACHE:-$HOME/.cache/jobkit/minio}/<version>/minio
# and prints that path on stdout; test/setup/services.ts looks there.
# The Go toolchain comes from scripts/ensure-go.sh (the one the control plane
# pins). Cold on 2 cores: about 7-10 minutes (nice, -p 1 by default so the
# machine stays usable; JOBKIT_MINIO_BUILD_JOBS sets go build -p); warm: nothing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"
# shellcheck source=../control-plane/versions.sh
source "$here/../control-plane/versions.sh"
# shellcheck source=../ensure-go.sh
source "$here/../ensure-go.sh"

dir="${JOBKIT_MINIO_CACHE:-$HOME/.cache/jobkit/minio}/$JOBKIT_MINIO_VERSION"
if [[ ! -x $dir/minio ]]; then
  # One toolchain download for both builds: the control plane's cache.
  ensure_go "$JOBKIT_GO_VERSION" "${JOBKIT_K8S_CACHE:-$HOME/.cache/jobkit/control-plane}"
  unset GOFLAGS
  started=$(date +%s)
  echo "minio install: building github.com/minio/minio@$JOBKIT_MINIO_VERSION into $dir (slow)" >&2
  # Into a temporary directory first: an interrupted build never leaves a binary that looks complete.
  rm -rf "$dir/.partial"
  mkdir -p "$dir/.partial"
  GOBIN="$dir/.partial" nice -n 10 go install -p "${JOBKIT_MINIO_BUILD_JOBS:-1}" -trimpath -ldflags='-s -w' "github.com/minio/minio@$JOBKIT_MINIO_VERSION"
  mv "$dir/.partial/minio" "$dir/minio"
  rmdir "$dir/.partial"
  echo "minio install: built in $(($(date +%s) - started)) s" >&2
fi
echo "$dir/minio"
