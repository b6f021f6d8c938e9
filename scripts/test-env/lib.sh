# Shared by the test peers' scripts (ceph.sh, vcsim.sh), which source it after setting NAME (ceph, vcsim):
# the repository and state folders, messages, the lock of `up`/`down`, and the up|down|env|status dispatch.
# The sourcing script defines cmd_up, cmd_down, cmd_env and cmd_status and ends with `dispatch "$@"`.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ENV_DIR="${CLAAS_TEST_ENV_DIR:-$REPO/.test-env}"
LOCK="$ENV_DIR/$NAME.lock"

log() { echo "$NAME.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# answers URL [curl options]: true when the URL answers HTTP at all (any status code).
answers() {
  local code
  code="$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$@" 2>/dev/null || true)"
  [[ -n "$code" && "$code" != "000" ]]
}

# Opens the lock of `up`/`down` on fd 9 (flock it with lock_for_up / lock_for_down). Whatever `up` starts
# must be started with `9>&-`, or it would hold the lock for its whole life.
open_lock() {
  mkdir -p "$ENV_DIR"
  exec 9>"$LOCK"
}

# lock_for_up SECONDS: wait that long for the lock, else fail.
lock_for_up() { flock -w "$1" 9 || die "another $NAME.sh up/down holds $LOCK"; }

# lock_for_down: wait a minute for the lock, then stop anyway.
lock_for_down() { flock -w 60 9 || log "another $NAME.sh up/down holds $LOCK; stopping anyway"; }

dispatch() {
  case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    env) cmd_env ;;
    status) cmd_status ;;
    *)
      echo "usage: $0 up|down|env|status" >&2
      exit 64
      ;;
  esac
}
