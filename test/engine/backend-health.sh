#!/usr/bin/env bash
# Runs the backend's rendered healthcheck as Docker's CMD-SHELL does (/bin/sh -c COMMAND), in the private
# mount and network namespaces this script is started in (test/engine/backendHealth.test.ts starts it with
# `unshare --mount --net --fork`, as root): a tmpfs over /home holds the bench's sites directory, a copy of
# LAYOUT; the network is loopback only, so the backend port is this run's alone.
#   backend-health.sh COMMAND LAYOUT SITES_DIR PORT SERVE
#   SERVE  none: nothing listens on PORT; gunicorn: the stand-in gunicorn (fakes/gunicorn) answers there
# Prints "exit=<code of the check>", then each ping the stand-in answered ("<site> <status>").
set -euo pipefail
command=$1 layout=$2 sites=$3 port=$4 serve=$5
case "$sites" in /home/*) ;; *) echo "backend-health: SITES_DIR must be under /home: $sites" >&2; exit 2 ;; esac

ip link set lo up
mount -t tmpfs tmpfs /home
mkdir -p "$sites"
cp -a "$layout/." "$sites/"

if [ "$serve" = gunicorn ]; then
  "$(dirname "$0")/fakes/gunicorn" "$sites" "$port" > /dev/null 2>&1 &
  server=$!
  trap 'kill "$server" 2> /dev/null || true' EXIT
  for _ in $(seq 100); do
    if (: < "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then break; fi
    sleep 0.05
  done
fi

code=0
/bin/sh -c "$command" > /dev/null 2>&1 || code=$?
echo "exit=$code"
if [ -f "$sites/.pings" ]; then cat "$sites/.pings"; fi
