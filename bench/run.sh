#!/usr/bin/env bash
# Runs every benchmark in one go and prints markdown tables (paste into docs/benchmarks.md).
#   bench/run.sh            local benchmarks (no-op publish, hashing)
#   bench/run.sh s3         also the S3 benchmarks against Ceph RGW (started if needed) vs rclone, aws, s3cmd
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-built.sh
bash scripts/test-env/apt.sh time
echo "# claas benchmarks — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, node $(node --version)"
node dist/bench/noop-publish.js "${CLAAS_BENCH_ITEMS:-5000}"
node dist/bench/hash-throughput.js "${CLAAS_BENCH_MIB:-512}" 2
if [ "${1:-}" = s3 ] && [ -f dist/bench/s3-publish.js ]; then
  bash scripts/test-env/apt.sh rclone awscli s3cmd time
  bash scripts/test-env/ceph.sh up
  eval "$(bash scripts/test-env/ceph.sh env)"
  node dist/bench/s3-publish.js
  node dist/bench/status-requests.js
  node dist/bench/mirror-throughput.js
  node dist/bench/gateway-throughput.js
  node dist/bench/gateway-redirect.js
  node dist/bench/tenant-propagation.js
fi
