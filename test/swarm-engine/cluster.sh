#!/usr/bin/env bash
# A throw-away multi-node Docker Swarm on one machine, for the real-Swarm test tier (docs/swarm-tests.md).
# Every node is its own dockerd in its own network, mount and UTS namespace; nothing is added to the
# machine's own network namespace, its /run or its Docker engine.
#
#   cluster.sh check              why this machine cannot run the cluster (exit 1), or nothing (exit 0)
#   cluster.sh start DIR NAME     start NODES nodes under DIR (short path: sockets live there), named NAME-*
#   cluster.sh stop DIR           stop everything `start` made under DIR and remove DIR
#
# Layout: a "hub" network namespace holds one bridge; each node's namespace gets one end of a veth
# pair as eth0 (10.x is Swarm's default overlay pool, so the nodes use SUBNET, 198.18.19.0/24 by
# default), the other end joins the bridge. Each node runs dockerd with its own --data-root,
# --exec-root, --pidfile, --config-file and socket DIR/nN/docker.sock, under a private tmpfs on /run
# (so the machine's containerd and /run/docker.sock are out of sight and dockerd starts its own
# containerd), which also carries /run/docker.sock: a service that bind-mounts the Docker socket
# reaches its own node, as on a real cluster. DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 makes Swarm start
# tasks from local images without asking a registry (moby daemon/cluster/executor/container/controller.go,
# Prepare). Node 1 runs `swarm init --advertise-addr`, the others `swarm join` as workers, or as
# managers for the first MANAGERS nodes.
# Env: NODES (3), MANAGERS (1), SUBNET (198.18.19), WAIT_SECONDS (60).
set -euo pipefail

nodes=${NODES:-3}
managers=${MANAGERS:-1}
subnet=${SUBNET:-198.18.19}
wait_seconds=${WAIT_SECONDS:-60}

die() {
  echo "swarm cluster: $*" >&2
  exit 1
}

# Why the machine cannot run the cluster; prints nothing when it can.
why_not() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "it needs root (network namespaces, dockerd); run the tests as root or via sudo bash .ci/swarm.sh"
    return
  fi
  local tool
  for tool in dockerd containerd runc docker ip unshare nsenter iptables; do
    if ! command -v "$tool" > /dev/null; then
      echo "$tool is missing; run: sudo bash .ci/swarm.sh (installs docker.io, iproute2, iptables, util-linux)"
      return
    fi
  done
  if ! grep -qw overlay /proc/filesystems; then
    echo "the kernel has no overlay filesystem (dockerd's overlay2 storage)"
    return
  fi
  local probe="fswprobe$$"
  if ! ip netns add "$probe" 2> /dev/null; then
    echo "network namespaces cannot be created here (ip netns add failed)"
    return
  fi
  # Overlay networks are VXLAN: without it services on different nodes cannot reach each other.
  if ! ip -n "$probe" link add vx0 type vxlan id 42 dstport 4789 2> /dev/null; then
    echo "the kernel cannot create VXLAN interfaces (Swarm's overlay networks need vxlan)"
  fi
  ip netns del "$probe"
}

node_dir() { echo "$dir/n$1"; }
node_ns() { echo "$name-n$1"; }
node_sock() { echo "unix://$dir/n$1/docker.sock"; }

on_node() {
  local i=$1
  shift
  DOCKER_HOST=$(node_sock "$i") docker "$@"
}

start_network() {
  ip netns add "$name-hub"
  ip -n "$name-hub" link set lo up
  ip -n "$name-hub" link add br0 type bridge
  ip -n "$name-hub" link set br0 up
  local i
  for i in $(seq "$nodes"); do
    local ns
    ns=$(node_ns "$i")
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "fsw$$n$i" netns "$name-hub" type veth peer name eth0 netns "$ns"
    ip -n "$name-hub" link set "fsw$$n$i" name "v$i"
    ip -n "$name-hub" link set "v$i" master br0 up
    ip -n "$ns" addr add "$subnet.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
}

start_node() {
  local i=$1 d
  d=$(node_dir "$i")
  mkdir -p "$d/data" "$d/exec"
  echo '{}' > "$d/daemon.json"
  # setsid: the daemon outlives this script; its pid is in docker.pid.
  # A sysfs of the node's own network namespace on /sys, with the machine's cgroup mounts moved
  # under it (`ip netns exec` would remount /sys without them, and dockerd needs the cgroups).
  mkdir -p "$d/cgroup"
  # shellcheck disable=SC2016 # the node's own shell expands the script below
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid nsenter --net="/run/netns/$(node_ns "$i")" \
    unshare --mount --uts --propagation private -- /bin/sh -c '
      set -e
      hostname "$1"
      mount --rbind /sys/fs/cgroup "$2"
      mount -t sysfs sysfs /sys
      mount --move "$2" /sys/fs/cgroup
      mount -t tmpfs -o mode=0755 fsw-run /run
      shift 2
      exec dockerd "$@"
    ' sh "$name-n$i" "$d/cgroup" \
    --config-file "$d/daemon.json" \
    --data-root "$d/data" \
    --exec-root "$d/exec" \
    --pidfile "$d/docker.pid" \
    --host "unix://$d/docker.sock" \
    --host unix:///run/docker.sock \
    --cgroup-parent "/$name-n$i" \
    < /dev/null > "$d/dockerd.log" 2>&1 &
}

wait_node() {
  local i=$1 n
  for n in $(seq "$((wait_seconds * 4))"); do
    if on_node "$i" info > /dev/null 2>&1; then
      return 0
    fi
    if [ "$n" -gt 8 ] && [ ! -S "$(node_dir "$i")/docker.sock" ] && ! pgrep -F "$(node_dir "$i")/docker.pid" > /dev/null 2>&1; then
      if ! ip netns pids "$(node_ns "$i")" | grep -q .; then
        tail -n 20 "$(node_dir "$i")/dockerd.log" >&2
        die "dockerd of node $i exited during startup (log: $(node_dir "$i")/dockerd.log)"
      fi
    fi
    sleep 0.25
  done
  tail -n 20 "$(node_dir "$i")/dockerd.log" >&2
  die "dockerd of node $i did not answer within ${wait_seconds}s (WAIT_SECONDS)"
}

start() {
  local why
  why=$(why_not)
  [ -z "$why" ] || die "$why"
  [ ! -e "$dir" ] || die "$dir exists; stop the cluster there first: $0 stop $dir"
  mkdir -p "$dir"
  echo "$name" > "$dir/name"
  start_network
  local i
  for i in $(seq "$nodes"); do
    start_node "$i"
  done
  for i in $(seq "$nodes"); do
    wait_node "$i"
  done
  on_node 1 swarm init --advertise-addr "$subnet.1" > /dev/null
  local worker manager
  worker=$(on_node 1 swarm join-token -q worker)
  manager=$(on_node 1 swarm join-token -q manager)
  for i in $(seq 2 "$nodes"); do
    local token=$worker
    [ "$i" -le "$managers" ] && token=$manager
    on_node "$i" swarm join --advertise-addr "$subnet.$i" --token "$token" "$subnet.1:2377" > /dev/null
  done
  # Ready when every node is Ready and Active as the manager sees it.
  for i in $(seq "$((wait_seconds * 2))"); do
    if [ "$(on_node 1 node ls --format '{{.Status}} {{.Availability}}' | grep -c '^Ready Active$')" -eq "$nodes" ]; then
      echo "swarm cluster: $nodes nodes ready under $dir"
      return 0
    fi
    sleep 0.5
  done
  on_node 1 node ls >&2
  die "the nodes did not all become Ready within ${wait_seconds}s"
}

# Sends a signal to every process inside the cluster's namespaces (all of them started here).
signal_all() {
  local sig=$1 ns pid
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$name-(hub|n[0-9]+)$" || true); do
    for pid in $(ip netns pids "$ns"); do
      kill "-$sig" "$pid" 2> /dev/null || true
    done
  done
}

stop() {
  [ -d "$dir" ] || return 0
  [ -f "$dir/name" ] || die "$dir was not made by $0 start (no $dir/name); not touching it"
  name=$(cat "$dir/name")
  local i pid
  for i in $(seq 1 64); do
    [ -f "$dir/n$i/docker.pid" ] || continue
    pid=$(cat "$dir/n$i/docker.pid")
    kill -TERM "$pid" 2> /dev/null || true
  done
  for i in $(seq 60); do
    [ -n "$(signal_all 0; ip netns list | awk '{print $1}' | grep -E "^$name-n[0-9]+$" | while read -r ns; do ip netns pids "$ns"; done)" ] || break
    [ "$i" -eq 30 ] && signal_all KILL
    sleep 0.5
  done
  signal_all KILL
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$name-(hub|n[0-9]+)$" || true); do
    ip netns del "$ns"
  done
  rm -rf "$dir"
}

case "${1:-}" in
  check)
    why=$(why_not)
    if [ -n "$why" ]; then
      echo "$why"
      exit 1
    fi
    ;;
  start)
    dir=${2:?usage: $0 start DIR NAME}
    name=${3:?usage: $0 start DIR NAME}
    start
    ;;
  stop)
    dir=${2:?usage: $0 stop DIR}
    stop
    ;;
  *)
    die "usage: $0 check | start DIR NAME | stop DIR"
    ;;
esac
