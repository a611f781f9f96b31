#!/usr/bin/env bash
# Builds, when missing, the control-plane binaries pinned in versions.sh:
# etcd, kube-apiserver and kube-controller-manager, from the Go module proxy
# through the wrapper modules kube/ and etcd/ (committed with their go.sum).
# They go to a cache outside the repository, never committed:
#   ${JOBKIT_K8S_CACHE:-$HOME/.cache/jobkit/control-plane}/<kube version>/bin/
# Prints that bin directory on stdout. Cold on 2 cores: about 10 minutes;
# warm: nothing to do. JOBKIT_K8S_BUILD_JOBS sets go build -p (default 2).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"
export GOFLAGS=-mod=mod
cache="${JOBKIT_K8S_CACHE:-$HOME/.cache/jobkit/control-plane}"

# Go >= JOBKIT_GO_VERSION's minor: the machine's, else the toolchain module
# from the Go module proxy, kept in the cache (scripts/ensure-go.sh, shared with
# scripts/minio/install.sh). JOBKIT_K8S_FETCH_GO=1 takes the pinned toolchain
# even when the machine has Go.
# shellcheck source=../ensure-go.sh
source "$here/../ensure-go.sh"
ensure_go "$JOBKIT_GO_VERSION" "$cache" "${JOBKIT_K8S_FETCH_GO:-0}"

bin="$cache/$JOBKIT_KUBE_VERSION-etcd-$JOBKIT_ETCD_VERSION/bin"
mkdir -p "$bin"
jobs="${JOBKIT_K8S_BUILD_JOBS:-2}"

build() { # name module-dir package
  local name=$1 dir=$2 pkg=$3 started
  if [[ -x $bin/$name ]]; then return 0; fi
  started=$(date +%s)
  echo "control-plane install: building $name ($pkg) into $bin" >&2
  # Build to a temporary name first: an interrupted build never leaves a binary that looks complete.
  (cd "$here/$dir" && nice -n 10 go build -p "$jobs" -trimpath -ldflags='-s -w' -o "$bin/.$name.partial" "$pkg")
  mv "$bin/.$name.partial" "$bin/$name"
  echo "control-plane install: $name built in $(($(date +%s) - started)) s" >&2
}

build etcd etcd .
build kube-apiserver kube k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager kube k8s.io/kubernetes/cmd/kube-controller-manager
echo "$bin"
