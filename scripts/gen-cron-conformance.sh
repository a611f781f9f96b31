#!/usr/bin/env bash
# Regenerates test/conformance/cron/expected.json: the next activation times
# robfig/cron v3.0.1 (the schedule library of the Kubernetes CronJob
# controller) gives for each case of test/conformance/cron/cases.json. The
# unit test test/unit/local/cron-conformance.test.ts holds jobkit's engine to
# that table. Needs Go and the Go module proxy; the build cache stays outside
# the repository (GOCACHE, GOMODCACHE defaults).
set -euo pipefail
cd "$(dirname "$0")/../test/conformance/cron"
# go.sum is generated here and committed, so the table is reproducible.
TZ=UTC GOFLAGS=-mod=mod go run . cases.json expected.json
echo "wrote test/conformance/cron/expected.json ($(grep -c '"spec"' expected.json) cases)"
