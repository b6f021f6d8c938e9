#!/usr/bin/env bash
# vcsim, govmomi's vCenter simulator: the vCenter REST peer for claas's tests (the legacy /rest flavour).
#
#   vcsim.sh up       install Go and govmomi from Debian when missing, build scripts/test-env/vcsim/main.go
#                     (again only when main.go is newer than the binary), start it on https://127.0.0.1:8989;
#                     a no-op when it is already running and answering
#   vcsim.sh env      print `export` lines for tests: URL, login, and the info file (inventory ids, thumbprint)
#   vcsim.sh status   exit 0 when vcsim answers HTTPS
#   vcsim.sh down     stop it (by pid file) and remove its runtime files (the binary stays for the next `up`)
#
# State lives in ${CLAAS_TEST_ENV_DIR:-<repo>/.test-env}/vcsim: the binary `vcsim`, `info.json` (written by
# vcsim when it serves: URL, datastore/resource pool/folder/network/host ids, certificate thumbprint),
# `cert.pem`, `vcsim.pid`, `vcsim.log`. The port can be moved with CLAAS_VCSIM_PORT (8989).
# vcsim accepts any non-empty user and password; user/pass are its defaults. Recipe: shared/docs/test-peers.md.
set -euo pipefail

NAME=vcsim
# shellcheck source=scripts/test-env/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
STATE="$ENV_DIR/vcsim"
SRC="$REPO/scripts/test-env/vcsim/main.go"
BIN="$STATE/vcsim"
INFO="$STATE/info.json"
PIDFILE="$STATE/vcsim.pid"
PORT="${CLAAS_VCSIM_PORT:-8989}"
UP_TIMEOUT="${CLAAS_VCSIM_UP_TIMEOUT:-60}"
USER_NAME=user
PASSWORD=pass

# The port `up` recorded, else the one the environment asks for.
load_port() {
  if [[ -f "$STATE/port" ]]; then
    PORT="$(cat "$STATE/port")"
  fi
}

url() { echo "https://127.0.0.1:$PORT"; }

# True when vcsim answers HTTPS at all (any status code; its certificate is self-signed).
vcsim_answers() { answers "$(url)/about" -k; }

alive() {
  local pid
  [[ -f "$PIDFILE" ]] || return 1
  pid="$(cat "$PIDFILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

healthy() { alive && [[ -f "$INFO" ]] && vcsim_answers; }

install_packages() {
  local pkgs=(golang-go golang-github-vmware-govmomi-dev)
  command -v curl >/dev/null || pkgs+=(curl)
  command -v flock >/dev/null || pkgs+=(util-linux)
  command -v setsid >/dev/null || pkgs+=(util-linux)
  bash "$REPO/scripts/test-env/apt.sh" "${pkgs[@]}"
}

build() {
  if [[ -x "$BIN" && ! "$SRC" -nt "$BIN" ]]; then
    return 0
  fi
  log "building $BIN from $SRC"
  local t0=$SECONDS
  # GOPATH mode: Debian installs govmomi's sources (and their dependencies) under /usr/share/gocode.
  (cd "$(dirname "$SRC")" &&
    GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="${GOCACHE:-$ENV_DIR/go-cache}" \
      go build -o "$BIN.tmp" .) || die "go build failed"
  mv -f "$BIN.tmp" "$BIN"
  log "built in $((SECONDS - t0))s"
}

stop_vcsim() {
  local pid deadline
  [[ -f "$PIDFILE" ]] || return 0
  pid="$(cat "$PIDFILE")"
  if [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; then
    deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        log "vcsim (pid $pid) ignored SIGTERM; sending SIGKILL"
        kill -9 "$pid" 2>/dev/null || true
      fi
      sleep 0.1
    done
  fi
  rm -f "$PIDFILE" "$INFO" "$STATE/cert.pem" "$STATE/port"
}

# vcsim is started in its own session (setsid) with fd 9 (the lock of `up`/`down`) closed, so that it
# neither holds the lock nor dies with the shell or terminal that started it.
start_vcsim() {
  rm -f "$INFO" "$STATE/cert.pem"
  echo "$PORT" >"$STATE/port"
  log "starting vcsim on $(url)"
  setsid "$BIN" -listen "127.0.0.1:$PORT" -info "$INFO" >"$STATE/vcsim.log" 2>&1 9>&- </dev/null &
  echo $! >"$PIDFILE"
  local deadline=$((SECONDS + UP_TIMEOUT))
  until [[ -f "$INFO" ]] && vcsim_answers; do
    alive || die "vcsim exited during start; see $STATE/vcsim.log: $(tail -n 3 "$STATE/vcsim.log" 2>/dev/null)"
    ((SECONDS < deadline)) || die "timed out after ${UP_TIMEOUT}s waiting for $(url) (log: $STATE/vcsim.log)"
    sleep 0.1
  done
}

cmd_up() {
  mkdir -p "$STATE"
  open_lock
  command -v flock >/dev/null || install_packages
  lock_for_up 300
  load_port
  if healthy && [[ ! "$SRC" -nt "$BIN" ]]; then
    log "already running ($(url))"
    return 0
  fi
  local t0=$SECONDS
  install_packages
  build
  stop_vcsim
  PORT="${CLAAS_VCSIM_PORT:-8989}"
  start_vcsim
  log "up in $((SECONDS - t0))s: $(url), info in $INFO"
}

cmd_down() {
  mkdir -p "$STATE"
  open_lock
  if command -v flock >/dev/null; then
    lock_for_down
  fi
  stop_vcsim
  log "down"
}

cmd_env() {
  load_port
  cat <<EOF
export CLAAS_TEST_VCSIM_URL=$(url)
export CLAAS_TEST_VCSIM_USER=$USER_NAME
export CLAAS_TEST_VCSIM_PASSWORD=$PASSWORD
export CLAAS_TEST_VCSIM_INFO=$INFO
EOF
}

cmd_status() {
  load_port
  if alive && vcsim_answers; then
    echo "vcsim: up ($(url), pid $(cat "$PIDFILE"), info $INFO)"
  else
    echo "vcsim: down"
    return 1
  fi
}

dispatch "$@"
