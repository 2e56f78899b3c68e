#!/bin/sh
# Checks the volumes named in frappe:volumes before anything of this stack mounts them:
# - each must exist: otherwise `docker run` and the Docker provider would silently create an empty volume for a
#   misspelt name, and the first deploy would create new, empty sites instead of using the existing ones;
# - no running container of another project may use it: two database servers on one data directory corrupt it
#   (stop the compose project first).
# Usage: adopted-volumes.sh VOLUME...   (reads DOCKER_HOST like every other docker call of the stack)
# $name, when set, prefixes the messages (the stack's Docker name of this check); $stack is this stack's name
# (its own containers, labelled frappe.stack=$stack, may use the volumes).
set -eu
label=${name:-adopted-volumes}
own=${stack:-}
missing=""
for volume in "$@"; do
    if ! err=$(docker volume inspect --format '{{.Name}}' "$volume" 2>&1 >/dev/null); then
        case "$err" in
        *"o such volume"*) missing="$missing $volume" ;;
        *)
            echo "$label: cannot check volume $volume: $err" >&2
            exit 1
            ;;
        esac
    fi
done
if [ -n "$missing" ]; then
    echo "$label: frappe:volumes names volume(s) that do not exist on this Docker host:$missing." \
        "Nothing was mounted or created. Check the names with: docker volume ls" >&2
    exit 1
fi
busy=""
for volume in "$@"; do
    users=$(docker ps --filter "volume=$volume" --format '{{.Names}} {{.Label "frappe.stack"}}')
    others=$(printf '%s\n' "$users" | while read -r container stack_label; do
        if [ -n "$container" ] && [ "$stack_label" != "$own" ]; then printf ' %s' "$container"; fi
    done)
    if [ -n "$others" ]; then busy="$busy $volume (used by$others)"; fi
done
if [ -n "$busy" ]; then
    echo "$label: frappe:volumes names volume(s) that running containers of another project use:$busy." \
        "Stop them first (docker compose -p <project> stop); nothing was mounted or created." >&2
    exit 1
fi
echo "$label: found $*"
