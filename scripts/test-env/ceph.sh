#!/usr/bin/env bash
# A throwaway two-zone Ceph RGW cluster on loopback: the real S3 peer for claas's tests.
#
#   ceph.sh up       install Ceph from Debian when missing, start mon + memstore OSD + two RGW zones
#                    (us-east-1, us-west-2 in one zonegroup, replicating), create the test users; a no-op
#                    when the cluster is already running and healthy
#   ceph.sh env      print `export` lines for tests: endpoints and the test users' keys
#   ceph.sh status   exit 0 when both S3 endpoints answer HTTP
#   ceph.sh down     stop the daemons (by pid file) and remove the state folder
#
# State lives in ${CLAAS_TEST_ENV_DIR:-<repo>/.test-env}/ceph. Ports can be moved for parallel clusters
# with CLAAS_CEPH_MON_PORT (6789), CLAAS_CEPH_EAST_PORT (7480), CLAAS_CEPH_WEST_PORT (7481); each cluster
# needs its own CLAAS_TEST_ENV_DIR as well. Recipe: shared/docs/test-peers.md.
#
# The keys below are fixed, throwaway test credentials for a server bound to 127.0.0.1 only.
set -euo pipefail

NAME=ceph
# shellcheck source=scripts/test-env/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
STATE="$ENV_DIR/ceph"
CONF="$STATE/ceph.conf"
MON_PORT="${CLAAS_CEPH_MON_PORT:-6789}"
EAST_PORT="${CLAAS_CEPH_EAST_PORT:-7480}"
WEST_PORT="${CLAAS_CEPH_WEST_PORT:-7481}"
UP_TIMEOUT="${CLAAS_CEPH_UP_TIMEOUT:-120}"

# Throwaway credentials, made fresh for each cluster at `up` and kept beside it (mode 600); `env` prints them.
KEYS_FILE="$STATE/keys.env"

random_token() { LC_ALL=C tr -dc "$1" </dev/urandom | head -c "$2"; }

load_keys() {
  if [ ! -f "$KEYS_FILE" ]; then
    mkdir -p "$STATE"
    (
      umask 077
      for user in SYS PUBLISHER SUBSCRIBER CLIENTA; do
        echo "${user}_KEY=CLAAS$(random_token 'A-Z0-9' 15)"
        echo "${user}_SECRET=$(random_token 'A-Za-z0-9' 40)"
      done >"$KEYS_FILE"
    )
  fi
  # shellcheck disable=SC1090
  . "$KEYS_FILE"
}

PACKAGES=(radosgw ceph-mon ceph-osd ceph-common)
# The daemons, by the names of their pid files.
DAEMONS=(client.rgw.west client.rgw.east osd.0 mon.a)

# Current endpoints: what `up` recorded, else what the environment asks for.
load_ports() {
  if [[ -f "$STATE/ports" ]]; then
    # shellcheck disable=SC1091
    source "$STATE/ports"
  fi
}

east_url() { echo "http://127.0.0.1:$EAST_PORT"; }
west_url() { echo "http://127.0.0.1:$WEST_PORT"; }

# The pid of a daemon of this cluster: from its pid file, and only while that process is still one of ours
# (its command line names our ceph.conf), so a pid reused after a reboot is never signalled.
pid_of() {
  local f="$STATE/run/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$CONF" && echo "$pid"
}

# True while pid exists and is not a zombie (a container's pid 1 may never reap the daemons).
running() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

alive() {
  local pid
  pid="$(pid_of "$1")" || return 1
  [[ -n "$pid" ]] && running "$pid"
}

healthy() {
  local d
  [[ -d "$STATE" ]] || return 1
  for d in "${DAEMONS[@]}"; do alive "$d" || return 1; done
  answers "$(east_url)" && answers "$(west_url)"
}

install_packages() {
  # apt.sh installs what is missing and runs `apt-get update` only when the install fails.
  bash "$REPO/scripts/test-env/apt.sh" "${PACKAGES[@]}" curl util-linux
}

write_conf() {
  local fsid="$1"
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 8589934592
osd data = $STATE/osd.\$id
mon data = $STATE/mon.\$id
run dir = $STATE/run
pid file = $STATE/run/\$name.pid
admin socket = $STATE/run/\$name.asok
log file = $STATE/log/\$name.log
ms bind msgr2 = false
ms bind ipv6 = false
public addr = 127.0.0.1
osd crush chooseleaf type = 0
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
# Pool creation (radosgw creates ~14 pools) waits on mon proposals: propose sooner on a one-node cluster.
paxos propose interval = 0.1
paxos min wait = 0.01
keyring = /dev/null
# The OSD must not send mon commands while it starts: its first one sometimes carries a zero fsid and the
# mon refuses it ("wrong fsid"), killing the OSD. ceph.sh places osd.0 in the CRUSH map itself.
osd crush update on start = false
osd class update on start = false
[client]
# Deleted objects' data (memstore: RAM) is reclaimed after a minute instead of two hours.
rgw gc obj min wait = 60
rgw gc processor period = 60
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = testkey-1=YmluCmJvb3N0CmJvb3N0LWJ1aWxkCmNlcGguY29uZgo=
EOF
}

radosgw_admin() { radosgw-admin -c "$CONF" "$@" >>"$STATE/log/admin.log" 2>&1; }

wait_until() {
  local what="$1" deadline=$((SECONDS + UP_TIMEOUT))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out after ${UP_TIMEOUT}s waiting for $what (logs: $STATE/log)"
    sleep 0.5
  done
}

osd_up() {
  alive osd.0 || die "osd.0 exited while starting (logs: $STATE/log)"
  ceph -c "$CONF" osd stat 2>/dev/null | grep -q ' 1 up'
}

create_user() {
  # create_user UID NAME KEY SECRET [extra radosgw-admin args]
  local uid="$1" name="$2" key="$3" secret="$4"
  shift 4
  radosgw_admin user create --uid="$uid" --display-name="$name" --access-key="$key" --secret-key="$secret" "$@"
}

# The daemons are started with `9>&-`: fd 9 holds the lock of `up`/`down`, and a daemon that inherited it
# would hold the lock for its whole life.
start_cluster() {
  mkdir -p "$STATE/run" "$STATE/log" "$STATE/mon.a" "$STATE/osd.0"
  load_keys
  echo "MON_PORT=$MON_PORT EAST_PORT=$EAST_PORT WEST_PORT=$WEST_PORT" >"$STATE/ports"
  local fsid
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  write_conf "$fsid"

  log "starting mon and memstore osd"
  monmaptool --create --add a "v1:127.0.0.1:$MON_PORT" --fsid "$fsid" "$STATE/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$STATE/monmap" >"$STATE/log/mkfs-mon.log" 2>&1
  ceph-mon -c "$CONF" -i a 9>&-
  local id
  id="$(ceph -c "$CONF" --connect-timeout 30 osd create 2>>"$STATE/log/admin.log")"
  [[ "$id" == 0 ]] || die "expected osd id 0, got '$id'"
  ceph -c "$CONF" osd crush add osd.0 1.0 root=default 2>>"$STATE/log/admin.log"
  ceph-osd -c "$CONF" -i 0 --mkfs >"$STATE/log/mkfs-osd.log" 2>&1
  ceph-osd -c "$CONF" -i 0 >>"$STATE/log/osd-start.log" 2>&1 9>&-
  wait_until "osd.0 to be up" osd_up

  log "configuring realm, zonegroup, zones us-east-1 and us-west-2"
  local east west
  east="$(east_url)"
  west="$(west_url)"
  radosgw_admin realm create --rgw-realm=claas --default
  radosgw_admin zonegroup create --rgw-zonegroup=us --endpoints="$east" --master --default
  radosgw_admin zone create --rgw-zonegroup=us --rgw-zone=us-east-1 --endpoints="$east" --master --default \
    --access-key="$SYS_KEY" --secret="$SYS_SECRET"
  create_user sync-user sync "$SYS_KEY" "$SYS_SECRET" --system
  radosgw_admin period update --commit
  radosgw_admin zone create --rgw-zonegroup=us --rgw-zone=us-west-2 --endpoints="$west" \
    --access-key="$SYS_KEY" --secret="$SYS_SECRET"
  radosgw_admin period update --commit

  log "starting radosgw on $east and $west"
  radosgw -c "$CONF" -n client.rgw.east --rgw-zone=us-east-1 --rgw-frontends="beast endpoint=127.0.0.1:$EAST_PORT tcp_nodelay=1" 9>&-
  radosgw -c "$CONF" -n client.rgw.west --rgw-zone=us-west-2 --rgw-frontends="beast endpoint=127.0.0.1:$WEST_PORT tcp_nodelay=1" 9>&-

  log "creating users publisher, subscriber (no buckets of its own), client-a"
  create_user publisher "claas publisher" "$PUBLISHER_KEY" "$PUBLISHER_SECRET"
  create_user subscriber "claas subscriber (read-only)" "$SUBSCRIBER_KEY" "$SUBSCRIBER_SECRET" --max-buckets=-1
  create_user client-a "client A (another account)" "$CLIENTA_KEY" "$CLIENTA_SECRET"

  wait_until "$east and $west to answer" eval 'answers "$(east_url)" && answers "$(west_url)"'
}

# Everything is thrown away, so the daemons get SIGKILL: a graceful stop takes ~2 s per daemon, and the
# memstore OSD would first dump its whole in-memory store to the state folder.
stop_cluster() {
  local d pid pids=() deadline
  for d in "${DAEMONS[@]}"; do
    pid="$(pid_of "$d")" || continue
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null && pids+=("$pid")
  done
  deadline=$((SECONDS + 30))
  for pid in "${pids[@]}"; do
    while running "$pid"; do
      ((SECONDS < deadline)) || die "pid $pid did not exit after SIGKILL"
      sleep 0.1
    done
  done
}

cmd_up() {
  open_lock
  lock_for_up 600
  load_ports
  if healthy; then
    log "already running ($(east_url), $(west_url))"
    return 0
  fi
  install_packages
  if [[ -d "$STATE" ]]; then
    log "found a stale or half-started cluster in $STATE; recreating it"
    stop_cluster
    rm -rf "$STATE"
  fi
  MON_PORT="${CLAAS_CEPH_MON_PORT:-6789}"
  EAST_PORT="${CLAAS_CEPH_EAST_PORT:-7480}"
  WEST_PORT="${CLAAS_CEPH_WEST_PORT:-7481}"
  local t0=$SECONDS
  start_cluster
  log "up in $((SECONDS - t0))s: us-east-1 $(east_url), us-west-2 $(west_url)"
}

cmd_down() {
  open_lock
  lock_for_down
  if [[ -d "$STATE" ]]; then
    stop_cluster
    rm -rf "$STATE"
  fi
  log "down"
}

cmd_env() {
  load_ports
  [ -f "$KEYS_FILE" ] || die "no cluster in $STATE: run 'ceph.sh up' first"
  load_keys
  cat <<EOF
export CLAAS_TEST_S3_EAST=$(east_url)
export CLAAS_TEST_S3_WEST=$(west_url)
export CLAAS_TEST_PUBLISHER_KEY=$PUBLISHER_KEY
export CLAAS_TEST_PUBLISHER_SECRET=$PUBLISHER_SECRET
export CLAAS_TEST_SUBSCRIBER_KEY=$SUBSCRIBER_KEY
export CLAAS_TEST_SUBSCRIBER_SECRET=$SUBSCRIBER_SECRET
export CLAAS_TEST_CLIENTA_KEY=$CLIENTA_KEY
export CLAAS_TEST_CLIENTA_SECRET=$CLIENTA_SECRET
export CLAAS_TEST_CEPH_CONF=$CONF
EOF
}

cmd_status() {
  load_ports
  if answers "$(east_url)" && answers "$(west_url)"; then
    echo "ceph rgw: up ($(east_url), $(west_url))"
  else
    echo "ceph rgw: down"
    return 1
  fi
}

dispatch "$@"
