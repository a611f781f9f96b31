#!/usr/bin/env bash
# The test command (README): on a fresh machine it brings Node >= 22, installs
# the npm packages from the lockfile and the test servers, then runs lint,
# typecheck, build and every test project (unit, integration against real
# servers on loopback, e2e with real child processes and signals, conformance:
# the emulator against a real Kubernetes control plane).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh

npm ci --no-audit --no-fund --loglevel=error
bash scripts/install-test-services.sh
# The Kubernetes control plane of the conformance tier: built into a cache
# outside the repository on first use (about 5 minutes on 2 cores), then reused.
echo "== control plane binaries" >&2
bash scripts/control-plane/install.sh >/dev/null
bash scripts/fetch-platform-schemas.sh >/dev/null

echo "== lint" >&2
npm run --silent lint
echo "== typecheck" >&2
npm run --silent typecheck
echo "== build" >&2
npm run --silent build

echo "== tests" >&2
mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
# One plain closing line that any CI reader understands.
node -e '
  const r = JSON.parse(require("node:fs").readFileSync("test-results/vitest.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' || status=1
exit $status
