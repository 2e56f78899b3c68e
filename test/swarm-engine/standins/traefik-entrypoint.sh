#!/bin/bash
# Stand-in for the traefik image's /entrypoint.sh: arguments that start with '-' are traefik's.
if [ "${1#-}" != "${1:-}" ]; then set -- traefik "$@"; fi
exec "$@"
