#!/usr/bin/env bash
# What the real-Swarm test tier (test/swarm-engine, docs/swarm-tests.md) needs on the machine, installed
# from Debian's packages when missing: dockerd with containerd and runc (docker.io, unless a dockerd is
# installed, e.g. docker-ce's), iproute2 (network namespaces, bridge, veth), iptables and util-linux
# (unshare, nsenter, setpriv, flock) for the three engines, and the binaries the stand-in images copy:
# busybox-static, bash, curl, jq, GNU find, getent. Starts nothing: the tier starts its own engines, in
# namespaces of their own, and never touches the machine's Docker engine. Idempotent; needs root to install.
set -euo pipefail

installed() {
  dpkg-query -W -f '${Status}' "$1" 2> /dev/null | grep -q 'install ok installed'
}

missing=()
command -v dockerd > /dev/null || missing+=(docker.io)
command -v ip > /dev/null || missing+=(iproute2)
command -v iptables > /dev/null || missing+=(iptables)
{ command -v unshare && command -v nsenter && command -v setpriv && command -v flock; } > /dev/null || missing+=(util-linux)
installed busybox-static || missing+=(busybox-static)
command -v curl > /dev/null || missing+=(curl)
command -v jq > /dev/null || missing+=(jq)
command -v find > /dev/null || missing+=(findutils)
command -v getent > /dev/null || missing+=(libc-bin)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "swarm tier: everything it needs is installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "swarm tier: installing ${missing[*]} needs root; run: sudo bash .ci/swarm.sh" >&2
  exit 1
fi
echo "swarm tier: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
