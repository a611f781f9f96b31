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
export PATH="/usr/local/go/bin:$PATH"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
cache="${JOBKIT_K8S_CACHE:-$HOME/.cache/jobkit/control-plane}"

# Go >= JOBKIT_GO_VERSION's minor: the machine's, else the toolchain module
# from the Go module proxy (the zip that GOTOOLCHAIN downloads), kept in the cache.
# JOBKIT_K8S_FETCH_GO=1 takes the pinned toolchain even when the machine has Go.
go_minor_needed=$(echo "$JOBKIT_GO_VERSION" | cut -d. -f2)
have_go() { command -v go >/dev/null && [[ $(go env GOVERSION 2>/dev/null) =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= go_minor_needed)); }
if [[ ${JOBKIT_K8S_FETCH_GO:-0} == 1 ]] || ! have_go; then
  goroot="$cache/go$JOBKIT_GO_VERSION"
  if [[ ! -x $goroot/bin/go ]]; then
    proxy=$(printf '%s' "${GOPROXY:-https://proxy.golang.org}" | cut -d, -f1)
    [[ $proxy == direct || $proxy == off ]] && proxy=https://proxy.golang.org
    zip="golang.org/toolchain/@v/v0.0.1-go$JOBKIT_GO_VERSION.linux-$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/').zip"
    echo "control-plane install: fetching go$JOBKIT_GO_VERSION from $proxy (no Go >= 1.$go_minor_needed on PATH, or JOBKIT_K8S_FETCH_GO=1)" >&2
    tmp=$(mktemp -d)
    curl -fsSL --retry 3 -o "$tmp/go.zip" "$proxy/$zip" || { echo "control-plane install: could not download $proxy/$zip" >&2; rm -rf "$tmp"; exit 1; }
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$tmp/go.zip" "$tmp/x"
    mkdir -p "$cache"
    rm -rf "$goroot"
    mv "$tmp/x/golang.org/toolchain@v0.0.1-go$JOBKIT_GO_VERSION.linux-"* "$goroot"
    chmod +x "$goroot"/bin/* "$goroot"/pkg/tool/*/* 2>/dev/null || true
    rm -rf "$tmp"
  fi
  export GOROOT="$goroot" PATH="$goroot/bin:$PATH"
fi

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
