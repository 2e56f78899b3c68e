#!/bin/sh
# Checks that every volume named in frappe:volumes exists on the Docker host before anything mounts it.
# Without this check, `docker run` and the Docker provider would silently create an empty volume for a
# misspelt name, and the first deploy would create new, empty sites instead of using the existing ones.
# Usage: adopted-volumes.sh VOLUME...   (reads DOCKER_HOST like every other docker call of the stack)
# $name, when set, prefixes the messages (the stack's Docker name of this check).
set -eu
label=${name:-adopted-volumes}
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
echo "$label: found $*"
