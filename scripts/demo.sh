#!/usr/bin/env bash
# The quick start's first command: install, build, and run `claas demo` (sample library, published to a
# local folder, served with a password). Extra arguments go to `claas demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-built.sh
exec node dist/src/cli/main.js demo "$@"
