#!/usr/bin/env bash
# Sourced by the scripts that build Go binaries from the Go module proxy
# (scripts/control-plane/install.sh, scripts/minio/install.sh):
#   ensure_go <go version, e.g. 1.26.8> <cache dir> [force]
# puts a Go at least as new as <go version>'s minor first on PATH: the
# machine's (/usr/local/go or PATH), else the toolchain module from the Go
# module proxy (the zip that GOTOOLCHAIN downloads), unpacked once into
# <cache dir>/go<version>. force=1 takes the pinned toolchain even when the
# machine has Go. Sets GOTOOLCHAIN=local so that no build fetches another.
ensure_go() {
  local version=$1 cache=$2 force=${3:-0} minor goroot proxy zip tmp
  export PATH="/usr/local/go/bin:$PATH" GOTOOLCHAIN=local
  minor=$(echo "$version" | cut -d. -f2)
  if [[ $force != 1 ]] && command -v go >/dev/null && [[ $(go env GOVERSION 2>/dev/null) =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= minor)); then
    return 0
  fi
  goroot="$cache/go$version"
  if [[ ! -x $goroot/bin/go ]]; then
    proxy=$(printf '%s' "${GOPROXY:-https://proxy.golang.org}" | cut -d, -f1)
    [[ $proxy == direct || $proxy == off ]] && proxy=https://proxy.golang.org
    zip="golang.org/toolchain/@v/v0.0.1-go$version.linux-$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/').zip"
    echo "ensure-go: fetching go$version from $proxy (no Go >= 1.$minor on PATH, or forced)" >&2
    tmp=$(mktemp -d)
    curl -fsSL --retry 3 -o "$tmp/go.zip" "$proxy/$zip" || { echo "ensure-go: could not download $proxy/$zip" >&2; rm -rf "$tmp"; return 1; }
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$tmp/go.zip" "$tmp/x"
    mkdir -p "$cache"
    rm -rf "$goroot"
    mv "$tmp/x/golang.org/toolchain@v0.0.1-go$version.linux-"* "$goroot"
    chmod +x "$goroot"/bin/* "$goroot"/pkg/tool/*/* 2>/dev/null || true
    rm -rf "$tmp"
  fi
  export GOROOT="$goroot" PATH="$goroot/bin:$PATH"
}
