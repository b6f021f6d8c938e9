#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs npm and Debian packages it needs, builds, lints,
# starts the real peers (Ceph RGW with two zones, vcsim, both on 127.0.0.1), runs unit, integration and end-to-end
# tests with Node's test runner, and stops the peers again.
#   CLAAS_KEEP_PEERS=1   leave Ceph running afterwards (faster re-runs while developing)
#   CLAAS_TEST_ONLY=dir  run only the tests under dist/test/<dir>
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

bash scripts/ensure-built.sh
npm run --silent lint

# Debian tools the tests use to validate generated content (VMDK, ISO) and to stand in for subscribers,
# and Chromium (with a font to render text) for the dashboard's browser tests.
bash scripts/test-env/apt.sh qemu-utils genisoimage libarchive-tools chromium fonts-dejavu-core

if [ "${CLAAS_SKIP_PEERS:-}" != 1 ]; then
  if [ "${CLAAS_KEEP_PEERS:-}" != 1 ]; then
    trap 'bash scripts/test-env/ceph.sh down >/dev/null 2>&1 || true; bash scripts/test-env/vcsim.sh down >/dev/null 2>&1 || true' EXIT
  fi
  bash scripts/test-env/ceph.sh up
  eval "$(bash scripts/test-env/ceph.sh env)"
  node scripts/test-env/ceph-warmup.mjs
  bash scripts/test-env/vcsim.sh up
  eval "$(bash scripts/test-env/vcsim.sh env)"
fi

target="dist/test/${CLAAS_TEST_ONLY:-}"
# One test file at a time: integration tests share one Ceph cluster, and some switch its replication
# (radosgw-admin) while they run; in parallel they would disturb each other's timing.
node --test --test-reporter=spec --test-concurrency=1 --test-timeout=600000 "$target"
echo "claas: test suite finished in $(( $(date +%s) - started )) s" >&2
