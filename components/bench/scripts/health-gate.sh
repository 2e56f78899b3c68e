#!/bin/sh
# Health gate: runs through the Docker CLI of the machine running Pulumi (same DOCKER_HOST as the jobs),
# immediately before the step that reopens the sites. It fails unless every app process container of
# the stack is running and healthy at this moment, so the sites stay in maintenance mode otherwise.
#
# Why the provider's own `wait` is not enough: when a container's create times out waiting for health,
# terraform-provider-docker v4.5.0 has already recorded its ID (resource_docker_container_funcs.go:460,
# wait at 590-625), pulumi-terraform-bridge returns an "initialization failed" partial result
# (pkg/tfbridge/provider.go initializationError), the engine keeps the container in state and on the
# next `pulumi up` only updates it (pulumi/pulumi pkg/resource/deploy/step_generator.go, InitErrors),
# and the provider's update (resource_docker_container_funcs.go:991-1077) never waits for health.
#
# Environment:
#   GATE_STACK    value of the frappe.stack label
#   GATE_ROLES    space-separated frappe.role values of the app processes
#   GATE_EXPECT   space-separated container names that must exist among them
#   GATE_TIMEOUT  seconds to wait for containers still "starting" (default 300)
#   GATE_POLL     seconds between checks (default 5)
set -eu

: "${GATE_STACK:?GATE_STACK is not set}" "${GATE_ROLES:?GATE_ROLES is not set}" "${GATE_EXPECT:?GATE_EXPECT is not set}"
timeout=${GATE_TIMEOUT:-300}
poll=${GATE_POLL:-5}

fail() {
    printf 'health gate: %s\nThe sites stay in maintenance mode. Find the cause (docker logs <container>), fix it and run pulumi up again.\n' "$1" >&2
    exit 1
}

# Containers of the stack with one of the app roles, one name per line.
list() {
    for role in $GATE_ROLES; do
        docker ps -a --filter "label=frappe.stack=$GATE_STACK" --filter "label=frappe.role=$role" --format '{{.Names}}' ||
            fail "cannot list the containers of stack $GATE_STACK (role $role) on the Docker host"
    done
}

start=$(date +%s)
while :; do
    names=$(list)
    for want in $GATE_EXPECT; do
        printf '%s\n' "$names" | grep -qx "$want" || fail "container $want does not exist"
    done
    waiting=""
    for name in $names; do
        state=$(docker container inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$name") ||
            fail "cannot inspect $name"
        case "$state" in
        "running healthy") ;;
        "running starting") waiting="$waiting $name" ;;
        "running none") fail "$name has no healthcheck, so its health is unknown" ;;
        *) fail "$name is not healthy (state: $state)" ;;
        esac
    done
    if [ -z "$waiting" ]; then
        echo "health gate: healthy: $(printf '%s\n' "$names" | tr '\n' ' ')"
        exit 0
    fi
    if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
        fail "still starting after ${timeout}s:$waiting"
    fi
    sleep "$poll"
done
