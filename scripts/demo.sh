#!/usr/bin/env bash
# The README's demo: the ETL example (examples/etl) as a 3-pod Indexed Job under
# the local Job controller (`jobkit run`), with one spot preemption injected.
# No servers: a filesystem store in a temp directory. About 10-20 s.
#
#   bash scripts/demo.sh            # or: npm run demo
#
# Watch for: the progress lines (items/s, checkpoint state) of each pod, the
# preemption, the replacement pod resuming from its checkpoint, and at the end
# where the outputs are.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/jobkit-demo.XXXXXX")"
export JOBKIT_STORE="file://$workdir/store"
export ETL_INPUT_OBJECTS=36 ETL_ITEM_DELAY_MS=250 ETL_CHECKPOINT_EVERY=2

echo "jobkit demo: ETL example, 3 pods, store $JOBKIT_STORE" >&2
echo "jobkit demo: one pod will be preempted (SIGTERM, final checkpoint, exit 143) and replaced" >&2
echo >&2
node src/cli/main.ts run -f examples/etl/job.yaml --seed 6 --chaos preempt=1 --chaos-max-delay 4000 --backoff-scale 0.02
echo >&2
node examples/etl/summarize.ts "$workdir/outputs"
echo "store (checkpoints, idempotency records, shard plan): $workdir/store"
