# The MinIO server the benchmarks (and JOBKIT_TEST_S3=minio tests) run against,
# sourced by install.sh and read by test/setup/services.ts. MinIO publishes no
# module tags: this is the pseudo-version `go list -m github.com/minio/minio@latest`
# gave on 2026-12-04 (commit 7aac2a2c5b7c of 2026-02-12).
JOBKIT_MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
