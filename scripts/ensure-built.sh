#!/usr/bin/env bash
# Installs npm dependencies (when missing or stale) and compiles TypeScript. Sourced by demo.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "claas: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
# A clean output folder: a test or module moved or removed in src/ must not keep running from a stale dist/.
rm -rf dist
npx tsc -p tsconfig.json
