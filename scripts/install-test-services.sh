#!/usr/bin/env bash
# Installs the real servers the integration tests run against, when missing:
# - moto server (PyPI `moto[server]`): S3-compatible, honours If-None-Match/If-Match.
# - prometheus-pushgateway (Debian package). Its packaged default persists to the
#   shared /var/lib/prometheus/pushgateway.data: test/setup/services.ts starts
#   every test gateway with --persistence.file= (in memory only) for that reason.
# - prometheus and promtool, chromium (Debian packages): see below.
# The tests start them on free loopback ports themselves (test/setup/services.ts).
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! moto_server --help >/dev/null 2>&1; then
  echo "install-test-services: installing moto[server] from PyPI" >&2
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5.1'
  hash -r
  moto_server --help >/dev/null
fi

# Debian packages, installed in one apt-get call when any is missing:
# - prometheus-pushgateway: the gateway the telemetry tests push to;
# - prometheus (server and promtool): the alert rules are checked and unit
#   tested with promtool, and a real server scrapes the gateway in the e2e;
# - chromium: the `jobkit run --timeline` page is loaded headless and screenshotted;
# - tini: the base image's PID 1; the image e2e runs its whole ENTRYPOINT with it.
missing=()
command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/bin/tini ] || missing+=(tini)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-test-services: installing ${missing[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# MinIO (second S3 target, JOBKIT_TEST_S3=minio; the benchmarks' target, which
# scripts/bench.sh builds itself): the version pinned in scripts/minio/versions.sh,
# built from source into ~/.cache/jobkit/minio/<version>/, where
# test/setup/services.ts looks for it. About 7-10 minutes cold on 2 cores.
if [ "${JOBKIT_TEST_S3:-moto}" = "minio" ]; then
  bash "$(dirname "${BASH_SOURCE[0]}")/minio/install.sh" >/dev/null
fi
echo "install-test-services: moto_server, prometheus-pushgateway, prometheus, promtool, chromium and tini ready" >&2
