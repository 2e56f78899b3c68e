#!/usr/bin/env bash
# Job: check that the services answer by name on the stack's network
# Swarm only, before the first job that needs them: each PREFLIGHT_TARGETS entry (name:port) must accept
# a TCP connection by its service name. When it does not, the cause is named: a name that answers at its
# tasks (tasks.<name>) but not at its virtual IP means the nodes have no IPVS (the ip_vs kernel module,
# which Swarm's default vip endpoints need; dockerd logs "Could not get ipvs family information").
# Env: PREFLIGHT_TARGETS (space-separated name:port), ENDPOINT_MODE (vip|dnsrr, for the message).
set -euo pipefail
mode=${ENDPOINT_MODE:-vip}

reach() { (timeout 5 bash -c "</dev/tcp/$1/$2") > /dev/null 2>&1; }
addresses() { getent ahostsv4 "$1" | awk '$2 == "STREAM" { print $1 }' | sort -u | paste -sd' ' -; }

failed=0
for target in ${PREFLIGHT_TARGETS:?PREFLIGHT_TARGETS is not set}; do
  name=${target%:*}
  port=${target##*:}
  if reach "$name" "$port"; then
    echo "preflight: $name:$port answers ($(addresses "$name"))"
    continue
  fi
  failed=1
  named=$(addresses "$name" || true)
  tasks=$(addresses "tasks.$name" || true)
  if [ -z "$named" ] && [ -z "$tasks" ]; then
    echo "preflight: $name does not resolve on the stack's network; is its service running (docker service ps)?" >&2
  elif [ "$mode" = vip ] && [ -n "$tasks" ] && reach "tasks.$name" "$port"; then
    echo "preflight: $name:$port answers at its tasks (tasks.$name: $tasks) but not at its virtual IP ($named):" \
      "Swarm's virtual IPs need IPVS (the ip_vs kernel module) on every node, and the nodes have none." \
      "Load ip_vs on every node (modprobe ip_vs; docs/swarm.md), or set frappe:swarm.endpointMode: dnsrr." >&2
  else
    echo "preflight: $name:$port does not answer (it resolves to: ${named:-nothing}; tasks.$name: ${tasks:-nothing})" >&2
  fi
done
exit "$failed"
