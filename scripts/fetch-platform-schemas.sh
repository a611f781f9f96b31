#!/usr/bin/env bash
# Fetches, when missing, the published schemas and API models that
# test/integration/platforms/ checks `jobkit manifest --platform <p>` against,
# each through its registry's own client, into a cache outside the repository:
#   ${JOBKIT_SCHEMA_CACHE:-$HOME/.cache/jobkit/schemas}/<platform>-<source>-<version>.schema.json
# Prints a JSON object {platform: {file, source}} on stdout. Warm: nothing to fetch.
#
#   aws-batch   botocore (PyPI, pip download): data/batch/2016-08-10/service-2.json,
#               shape RegisterJobDefinitionRequest, converted to a JSON schema
#   cloud-batch @google-cloud/batch (npm pack): build/protos/protos.json,
#               message google.cloud.batch.v1.Job, converted (proto3 JSON mapping)
#   argo        github.com/argoproj/argo-workflows/v3 (Go module proxy): api/jsonschema/schema.json
#   jobset      sigs.k8s.io/jobset (Go module proxy): the v1alpha2 openAPIV3Schema of
#               config/components/crd/bases/jobset.x-k8s.io_jobsets.yaml
# All four are Apache-2.0. Bump a version here and the next run fetches it.
set -euo pipefail
cd "$(dirname "$0")/.."
BOTOCORE_VERSION=1.44.8
GOOGLE_CLOUD_BATCH_VERSION=2.5.0
ARGO_WORKFLOWS_VERSION=v3.7.3
JOBSET_VERSION=v0.10.1

cache="${JOBKIT_SCHEMA_CACHE:-$HOME/.cache/jobkit/schemas}"
mkdir -p "$cache"
convert=scripts/platform-schemas/to-json-schema.ts
export GOFLAGS=-mod=mod PATH="/usr/local/go/bin:$PATH"

aws="$cache/aws-batch-botocore-$BOTOCORE_VERSION.schema.json"
if [[ ! -s $aws ]]; then
  echo "fetch-platform-schemas: botocore $BOTOCORE_VERSION (PyPI)" >&2
  tmp=$(mktemp -d)
  python3 -m pip download --no-deps --quiet --disable-pip-version-check -d "$tmp" "botocore==$BOTOCORE_VERSION" >&2
  python3 - "$tmp"/botocore-*.whl >"$tmp/batch.json" <<'PY'
import gzip, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
sys.stdout.buffer.write(gzip.decompress(z.read('botocore/data/batch/2016-08-10/service-2.json.gz')))
PY
  node "$convert" botocore "$tmp/batch.json" RegisterJobDefinitionRequest >"$aws.part"
  mv "$aws.part" "$aws"
  rm -rf "$tmp"
fi

gcp="$cache/cloud-batch-google-cloud-batch-$GOOGLE_CLOUD_BATCH_VERSION.schema.json"
if [[ ! -s $gcp ]]; then
  echo "fetch-platform-schemas: @google-cloud/batch $GOOGLE_CLOUD_BATCH_VERSION (npm)" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "@google-cloud/batch@$GOOGLE_CLOUD_BATCH_VERSION" >/dev/null && tar xzf ./*.tgz)
  node "$convert" protobufjs "$tmp/package/build/protos/protos.json" google.cloud.batch.v1.Job >"$gcp.part"
  mv "$gcp.part" "$gcp"
  rm -rf "$tmp"
fi

# The directory of a Go module in the module cache (downloaded when missing).
go_module_dir() {
  go mod download -json "$1" | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const m=JSON.parse(s);if(m.Error){console.error(m.Error);process.exit(1)}console.log(m.Dir)})'
}

argo="$cache/argo-argo-workflows-$ARGO_WORKFLOWS_VERSION.schema.json"
if [[ ! -s $argo ]]; then
  echo "fetch-platform-schemas: argo-workflows $ARGO_WORKFLOWS_VERSION (Go module proxy)" >&2
  dir=$(go_module_dir "github.com/argoproj/argo-workflows/v3@$ARGO_WORKFLOWS_VERSION")
  cp "$dir/api/jsonschema/schema.json" "$argo.part"
  chmod u+w "$argo.part"
  mv "$argo.part" "$argo"
fi

jobset="$cache/jobset-jobset-$JOBSET_VERSION.schema.json"
if [[ ! -s $jobset ]]; then
  echo "fetch-platform-schemas: jobset $JOBSET_VERSION (Go module proxy)" >&2
  dir=$(go_module_dir "sigs.k8s.io/jobset@$JOBSET_VERSION")
  node -e '
    const { parse } = require("yaml");
    const crd = parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const v = crd.spec.versions.find((x) => x.name === "v1alpha2");
    process.stdout.write(JSON.stringify(v.schema.openAPIV3Schema) + "\n");
  ' "$dir/config/components/crd/bases/jobset.x-k8s.io_jobsets.yaml" >"$jobset.part"
  mv "$jobset.part" "$jobset"
fi

cat <<JSON
{
  "aws-batch": { "file": "$aws", "source": "botocore $BOTOCORE_VERSION (PyPI) batch/2016-08-10 RegisterJobDefinitionRequest" },
  "cloud-batch": { "file": "$gcp", "source": "@google-cloud/batch $GOOGLE_CLOUD_BATCH_VERSION (npm) google.cloud.batch.v1.Job" },
  "argo": { "file": "$argo", "source": "github.com/argoproj/argo-workflows/v3 $ARGO_WORKFLOWS_VERSION api/jsonschema/schema.json" },
  "jobset": { "file": "$jobset", "source": "sigs.k8s.io/jobset $JOBSET_VERSION jobset.x-k8s.io_jobsets.yaml v1alpha2" }
}
JSON
