#!/bin/bash
# Stand-in for frappe_docker's nginx-entrypoint.sh (the frontend service): nginx with
# resources/nginx-template.conf, whose `upstream backend-server { server ${BACKEND} ... }` nginx resolves
# once, when it loads the configuration; a name with several addresses becomes several servers
# (nginx ngx_http_upstream_module, `server`). So the addresses are taken here, at start, and never again:
# with dnsrr endpoints `backend` resolves to the backend's task addresses of that moment. Serves 8080.
set -euo pipefail
# shellcheck source=/dev/null # http.sh, beside this file in the repository, at this path in the image
. /usr/local/lib/standin/http.sh
: "${BACKEND:?BACKEND is not set}" "${SOCKETIO:?SOCKETIO is not set}"
upstreams() {
  getent ahostsv4 "${1%:*}" | awk -v port="${1##*:}" '$2 == "STREAM" { print $1 ":" port }' | sort -u
}
backends=$(upstreams "$BACKEND")
if [ -z "$backends" ]; then
  echo "nginx: [emerg] host not found in upstream \"$BACKEND\"" >&2
  exit 1
fi
printf '%s\n' "$backends" > /tmp/upstream-backend
echo "nginx stand-in $STANDIN_VERSION: upstream backend-server: $(paste -sd' ' /tmp/upstream-backend)"
serve 8080 /usr/local/lib/standin/frontend-request
# nginx: TERM is a fast shutdown. server_pid is set by http.sh's serve.
# shellcheck disable=SC2154
trap 'kill "$server_pid"; exit 0' TERM INT
wait "$server_pid"
