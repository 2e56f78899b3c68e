#!/usr/bin/env bash
# Makes a Docker engine and the static binaries of the test image available for the real-engine
# test tier (test/engine, docs/engine-tests.md). Idempotent: installs only what is missing (Debian
# packages, so nothing beyond the Debian mirror is needed) and starts dockerd only when `docker info`
# fails. Needs root for the install and for starting dockerd (root's PATH holds /usr/sbin, where
# Debian's docker.io puts dockerd).
#   DOCKERD_WAIT_SECONDS  how long to wait for a started dockerd to answer (default 60)
#   DOCKERD_LOG           where a dockerd started here logs (default /var/log/dockerd-ci.log)
set -euo pipefail

wait_seconds="${DOCKERD_WAIT_SECONDS:-60}"
log="${DOCKERD_LOG:-/var/log/dockerd-ci.log}"

installed() {
  dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

as_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "engine: $1 needs root; run: sudo bash .ci/engine.sh" >&2
    exit 1
  fi
}

# The decision is about the daemon, not the client: a fresh CI machine has a Docker client (a static
# binary, 28.x) on PATH and no dockerd, and that client talks to Debian's dockerd 20.10 by API version
# negotiation. An engine that already answers (dockerd running, Docker Desktop, DOCKER_HOST) is used as
# it is, and so is a dockerd already installed (docker-ce's, which docker.io would conflict with).
engine_up=false
docker info > /dev/null 2>&1 && engine_up=true
missing=()
if [ "$engine_up" = false ] && ! { command -v dockerd > /dev/null && command -v docker > /dev/null; }; then
  missing+=(docker.io)
fi
# The test image is built from these two static binaries (test/engine/image.ts).
installed busybox-static || missing+=(busybox-static)
installed bash-static || missing+=(bash-static)
if [ "${#missing[@]}" -gt 0 ]; then
  as_root "installing ${missing[*]}"
  echo "engine: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$engine_up" = true ]; then
  echo "engine: Docker $(docker version -f '{{.Server.Version}}') is running"
  exit 0
fi

as_root "starting dockerd"
command -v dockerd > /dev/null || {
  echo "engine: dockerd is not on PATH ($PATH) even after installing docker.io; Debian installs it as /usr/sbin/dockerd" >&2
  exit 1
}
if [ -z "$(ls -A /sys/fs/cgroup 2> /dev/null)" ]; then
  # A bare container or chroot: dockerd needs the cgroup hierarchy mounted.
  installed cgroupfs-mount || { apt-get update -qq && apt-get install -y -qq --no-install-recommends cgroupfs-mount; }
  cgroupfs-mount
fi
echo "engine: starting dockerd (log: $log)"
nohup dockerd < /dev/null > "$log" 2>&1 &
pid=$!
for _ in $(seq "$wait_seconds"); do
  if docker info > /dev/null 2>&1; then
    echo "engine: Docker $(docker version -f '{{.Server.Version}}') is running (dockerd pid $pid)"
    exit 0
  fi
  if ! kill -0 "$pid" 2> /dev/null; then
    echo "engine: dockerd exited during startup; the end of its log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  sleep 1
done
echo "engine: dockerd did not answer within ${wait_seconds}s (DOCKERD_WAIT_SECONDS); the end of its log:" >&2
tail -n 30 "$log" >&2
exit 1
