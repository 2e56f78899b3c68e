#!/bin/sh
# Swarm's gate before the sites reopen: runs through the Docker CLI of the machine running Pulumi (the
# manager docker:host points at), immediately before the step that reopens the sites, and fails unless
# every app service of the stack has finished its rollout: no update in progress, paused or rolled
# back, at least as many running tasks as replicas, each running the service's current spec.
#
# Why the provider's own wait is not enough: its update wait (kreuzwerker/terraform-provider-docker
# v4.5.0 resource_docker_service_funcs.go, resourceDockerServiceUpdateRefreshFunc) ends as soon as
# every slot has a running task, whichever spec the task runs, while Swarm's UpdateStatus still says
# updating: with start-first and several replicas it returns after the first slot, and a later failure
# (a rollback or a pause) comes after `pulumi up` went on. A task is running only once its healthcheck
# passed, and Swarm stops a task whose healthcheck fails (moby daemon/cluster/executor/container/
# controller.go, Start and Wait), so a running task of the current spec is a healthy one.
#
# Environment:
#   GATE_STACK    value of the frappe.stack label
#   GATE_ROLES    space-separated frappe.role values of the app services
#   GATE_EXPECT   space-separated service names that must exist among them
#   GATE_IMAGE    the image this deploy gives them (optional): a service whose spec runs another one
#                 was rolled back (Swarm can later report such an update as completed)
#   GATE_TIMEOUT  seconds to wait for rollouts still in progress (default 900)
#   GATE_POLL     seconds between checks (default 5)
set -eu

: "${GATE_STACK:?GATE_STACK is not set}" "${GATE_ROLES:?GATE_ROLES is not set}" "${GATE_EXPECT:?GATE_EXPECT is not set}"
timeout=${GATE_TIMEOUT:-900}
poll=${GATE_POLL:-5}
# What a task runs: every part of the task template a change of which replaces the tasks.
spec='{{json .ContainerSpec}}{{json .Resources}}{{json .RestartPolicy}}{{json .Placement}}{{json .Networks}}{{json .LogDriver}}{{.ForceUpdate}}'

fail() {
    printf 'swarm gate: %s\nThe sites stay in maintenance mode. %s\n' "$1" "$2" >&2
    exit 1
}

list() {
    for role in $GATE_ROLES; do
        docker service ls --filter "label=frappe.stack=$GATE_STACK" --filter "label=frappe.role=$role" --format '{{.Name}}' ||
            fail "cannot list the services of stack $GATE_STACK (role $role) on the manager" "Check docker:host and run pulumi up again."
    done
}

# Prints why the service is not done yet, or nothing; exits through fail() when it never will be.
pending() {
    svc=$1
    status=$(docker service inspect -f '{{if .UpdateStatus}}{{.UpdateStatus.State}}|{{.UpdateStatus.Message}}{{end}}' "$svc") ||
        fail "cannot inspect service $svc" "Check docker:host and run pulumi up again."
    case "${status%%|*}" in
    "" | completed) ;;
    updating)
        echo "$svc: update in progress"
        return
        ;;
    paused)
        fail "$svc: its update is paused (${status#*|}): the new release failed on some of its tasks, the others still run the previous one (docker service ps --no-trunc $svc)." \
            "Deploy a fixed release (a new frappe:tag) with pulumi up, or restore the pre-upgrade backup and deploy the previous tag (docs/swarm-update-rolled-back.md)."
        ;;
    *)
        fail "$svc: its update was rolled back (${status%%|*}: ${status#*|}): its tasks run the previous spec (docker service ps --no-trunc $svc)." \
            "Find the cause, fix it and run pulumi up again (docs/swarm-update-rolled-back.md)."
        ;;
    esac
    image=$(docker service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$svc")
    case "$image" in
    "${GATE_IMAGE:-$image}" | "${GATE_IMAGE:-$image}@"*) ;;
    *)
        fail "$svc runs $image, not this deploy's $GATE_IMAGE: its update was rolled back (docker service ps --no-trunc $svc)." \
            "Find the cause, fix it and run pulumi up again (docs/swarm-update-rolled-back.md)."
        ;;
    esac
    want=$(docker service inspect -f "{{with .Spec.TaskTemplate}}$spec{{end}}" "$svc")
    replicas=$(docker service inspect -f '{{if .Spec.Mode.Replicated}}{{.Spec.Mode.Replicated.Replicas}}{{end}}' "$svc")
    running=0
    for task in $(docker service ps -q --filter desired-state=running "$svc"); do
        state=$(docker inspect --type task -f '{{.Status.State}}' "$task")
        if [ "$state" != running ]; then
            echo "$svc: task $task is $state"
            return
        fi
        if [ "$(docker inspect --type task -f "{{with .Spec}}$spec{{end}}" "$task")" != "$want" ]; then
            echo "$svc: task $task runs an earlier spec"
            return
        fi
        running=$((running + 1))
    done
    # More running tasks than replicas is a slot Swarm has not tidied up yet: harmless when every one runs
    # the current spec, as checked above.
    if [ -n "$replicas" ] && [ "$running" -lt "$replicas" ]; then
        echo "$svc: $running of $replicas tasks running"
    fi
}

start=$(date +%s)
while :; do
    names=$(list) || exit 1
    for want in $GATE_EXPECT; do
        printf '%s\n' "$names" | grep -qx "$want" ||
            fail "service $want does not exist" "Run pulumi up again; if it keeps failing, check the service on the manager."
    done
    waiting=""
    for svc in $names; do
        why=$(pending "$svc") || exit 1
        if [ -n "$why" ]; then
            waiting="$waiting
  $why"
        fi
    done
    if [ -z "$waiting" ]; then
        echo "swarm gate: rolled out: $(printf '%s\n' "$names" | tr '\n' ' ')"
        exit 0
    fi
    if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
        fail "rollouts not finished after ${timeout}s:$waiting" "Find the cause (docker service ps --no-trunc <service>), fix it and run pulumi up again."
    fi
    sleep "$poll"
done
