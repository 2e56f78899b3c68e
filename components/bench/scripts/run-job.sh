#!/usr/bin/env bash
# The local side of every run-once job: the `create` of its command resource, run by the command
# provider from the Pulumi project directory. It refuses to start while an earlier run of the job is
# still active, runs the job's container with the job's script (read from this directory when the job
# runs, so rewording a script or this file re-runs nothing), keeps a failed container for `docker logs`,
# prints the run token and removes a successful container (with its anonymous volumes).
# Env (the command's inputs): FRAPPE_JOB_KEY, FRAPPE_JOB_NAME (container name), FRAPPE_JOB_SCRIPT
# (file in this directory), FRAPPE_JOB_RUN_ARGS (`docker run` arguments, one per line, ending with
# the image and the entrypoint's arguments; the container is created with them), FRAPPE_JOB_NETWORKS
# (optional: the other networks it joins before it starts, space-separated), FRAPPE_JOB_PRELUDE (1: secrets arrive on stdin, the
# container starts with secret-prelude.sh), FRAPPE_JOB_REVISION (only there to re-run the job when
# its behaviour changes). Optional: DOCKER_HOST; GATE_STACK, GATE_ROLES, GATE_EXPECT, GATE_SCRIPT and the
# gate's own settings (set only on the job that reopens the sites: the gate must pass before its container
# starts); FRAPPE_JOB_HELPERS (script files of this directory the job's script runs, written into the
# container's $FRAPPE_JOB_HELPERS_DIR); FRAPPE_JOB_IMAGE_FROM (`container <name>` or `service <name>`: the
# job runs the image that container or Swarm service runs now, put where the run arguments say {image});
# DBGUARD_* (the job that guards a database server change: db-guard.sh decides first whether it runs, see there).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
key=${FRAPPE_JOB_KEY:?FRAPPE_JOB_KEY is not set}
name=${FRAPPE_JOB_NAME:?FRAPPE_JOB_NAME is not set}
# FRAPPE_JOB_SCRIPTS_DIR is for tests that run their own script through this wrapper; the program never sets it.
job_script="${FRAPPE_JOB_SCRIPTS_DIR:-$here}/${FRAPPE_JOB_SCRIPT:?FRAPPE_JOB_SCRIPT is not set}"
# One argument per line. A read loop, not mapfile: this runs on the operator's machine, and macOS ships bash 3.2.
run_args=()
while IFS= read -r arg; do
  run_args+=("$arg")
done <<< "${FRAPPE_JOB_RUN_ARGS:?FRAPPE_JOB_RUN_ARGS is not set}"
if [ ! -f "$job_script" ]; then
  echo "job $key: $job_script not found; run pulumi from the project directory" >&2
  exit 1
fi
# What the job does, from its script's `# Job:` line, for the failure message.
what=$(sed -n 's/^# Job: //p' "$job_script" | head -n 1)
what=${what%.}
script=""
if [ "${FRAPPE_JOB_PRELUDE:-0}" = 1 ]; then
  script="$(cat "$here/secret-prelude.sh")"$'\n'
fi
if [ -n "${FRAPPE_JOB_HELPERS:-}" ]; then
  # Each helper becomes a file in the container, written by a quoted here-document (nothing expanded).
  # shellcheck disable=SC2016 # the container's shell expands it, not this one
  script+='FRAPPE_JOB_HELPERS_DIR=$(mktemp -d); export FRAPPE_JOB_HELPERS_DIR'$'\n'
  for helper in $FRAPPE_JOB_HELPERS; do
    if grep -qx FRAPPE_JOB_HELPER_END "$here/$helper"; then
      echo "job $key: $helper contains the line FRAPPE_JOB_HELPER_END, which ends its here-document" >&2
      exit 1
    fi
    script+="cat > \"\$FRAPPE_JOB_HELPERS_DIR/$helper\" <<'FRAPPE_JOB_HELPER_END'"$'\n'"$(cat "$here/$helper")"$'\n'FRAPPE_JOB_HELPER_END$'\n'
  done
fi
script+=$(cat "$job_script")

if status=$(docker container inspect -f '{{.State.Status}}' "$name" 2>&1); then
  case "$status" in
    running | paused | restarting)
      echo "$name is still active from an earlier deploy; wait for it: docker wait $name" >&2
      exit 1
      ;;
  esac
  docker rm -v "$name" > /dev/null
elif ! printf '%s' "$status" | grep -qi 'no such container'; then
  echo "cannot reach Docker to run job $key: $status" >&2
  exit 1
fi

if [ -n "${GATE_ROLES:-}" ]; then
  # The sites reopen only while every app process of the stack is healthy; otherwise they stay closed.
  # GATE_SCRIPT names the renderer's gate (swarm-gate.sh on Swarm); health-gate.sh by default. The
  # gate gets this job's image (its FRAPPE_IMAGE), which every app process must run as GATE_IMAGE.
  for arg in "${run_args[@]}"; do
    case "$arg" in FRAPPE_IMAGE=*) GATE_IMAGE=${GATE_IMAGE:-${arg#FRAPPE_IMAGE=}} ;; esac
  done
  export GATE_IMAGE
  case "${GATE_SCRIPT:-health-gate.sh}" in
    health-gate.sh) sh "$here/health-gate.sh" || exit "$?" ;;
    swarm-gate.sh) sh "$here/swarm-gate.sh" || exit "$?" ;;
    *)
      echo "job $key: unknown gate ${GATE_SCRIPT:-}" >&2
      exit 1
      ;;
  esac
fi

if [ -n "${DBGUARD_ENGINE:-}" ]; then
  # 0: the database server changes, run the job; 10: nothing to guard (no server yet, or already the
  # new one), the job is done without a container; anything else: refused, the server is not replaced.
  guard=0
  sh "$here/db-guard.sh" || guard=$?
  if [ "$guard" = 10 ]; then
    # The same token every time: a job that changed nothing makes no job after it run again.
    printf 'frappe-job-run: skipped:%s\n' "$name"
    exit 0
  elif [ "$guard" != 0 ]; then
    exit "$guard"
  fi
fi

if [ -n "${FRAPPE_JOB_IMAGE_FROM:-}" ]; then
  # The image the stack's app processes run now: a job that must not re-run for a new image (its
  # inputs hold no image) still runs the code the sites were last migrated with.
  read -r from_kind from_name <<< "$FRAPPE_JOB_IMAGE_FROM"
  case "$from_kind" in
    service) format='{{.Spec.TaskTemplate.ContainerSpec.Image}}' ;;
    *) format='{{.Config.Image}}' ;;
  esac
  if ! image=$(docker "$from_kind" inspect -f "$format" "$from_name" 2>&1) || [ -z "$image" ]; then
    echo "job $key: cannot tell which image the $from_kind $from_name runs: $image" >&2
    exit 1
  fi
  for i in "${!run_args[@]}"; do
    run_args[i]=${run_args[i]//\{image\}/$image}
  done
fi

code=0
# Created, connected to its other networks, then started with stdin and output attached, which is what
# `docker run -i` does with one network: engines before API 1.44 (Docker 25) refuse a container created on
# several ("Container cannot be connected to network endpoints"), and the script must not start before it
# can reach them all.
if docker create "${run_args[@]}" "$script" > /dev/null; then
  for network in ${FRAPPE_JOB_NETWORKS:-}; do
    docker network connect "$network" "$name" || {
      code=$?
      break
    }
  done
  if [ "$code" -eq 0 ]; then
    docker start --attach --interactive "$name" || code=$?
  fi
else
  code=$?
fi
if [ "$code" -ne 0 ]; then
  echo "Job $key${what:+ ($what)} failed with exit code $code; nothing after it was deployed." \
    "Its container is kept: docker logs $name. Fix the cause and run pulumi up again (this step runs again)," \
    "or restore the backup the pre-upgrade-backup job took (docs/upgrade.md#when-a-step-fails)." >&2
  exit "$code"
fi
# Under set -e: without a token the jobs after this one would not know it ran, so fail instead.
id=$(docker container inspect -f '{{.Id}}' "$name")
# The run token: protocol, not a message (jobRun.ts RUN_TOKEN_PREFIX reads it).
printf 'frappe-job-run: %s\n' "$id"
docker rm -v "$name" > /dev/null || echo "warning: could not remove the finished container $name" >&2
