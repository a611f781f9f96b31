#!/usr/bin/env bash
# Stops the control plane that start.sh <state-dir> started and removes
# <state-dir>: SIGTERM to each component (controller manager, API server,
# etcd), SIGKILL to what is still there after 10 s.
set -euo pipefail
state=${1:?usage: stop.sh <state-dir>}
[[ -d $state ]] || exit 0
pids=""
if [[ -f $state/env ]]; then
  pids=$(sed -n 's/^JOBKIT_K8S_PIDS="\(.*\)"$/\1/p' "$state/env")
fi
# Reverse order: clients first, etcd last.
for pid in $(echo "$pids" | tr ' ' '\n' | tac); do kill "$pid" 2>/dev/null || true; done
for _ in $(seq 1 100); do
  alive=0
  for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
  ((alive == 0)) && break
  sleep 0.1
done
for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
rm -rf "$state"
