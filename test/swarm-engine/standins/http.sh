# shellcheck shell=bash
# HTTP/1.1 for the stand-ins' servers (busybox `nc -ll -e`: one process per connection, the request on
# stdin, the response on stdout). Sourced, not run.

# Reads the request line and headers: sets method, path and host (without port).
# shellcheck disable=SC2034 # the globals are read by the handlers that source this file
read_request() {
  local line
  method="" path="" host=""
  IFS=' ' read -r method path _ || exit 0
  while IFS= read -r line; do
    line=${line%$'\r'}
    [ -n "$line" ] || break
    case "${line,,}" in
      host:*)
        host=${line#*:}
        host=${host# }
        host=${host%%:*}
        ;;
    esac
  done
}

# respond CODE REASON BODY [HEADER...]
respond() {
  local code=$1 reason=$2 body=$3 header
  shift 3
  printf 'HTTP/1.1 %s %s\r\nContent-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n' \
    "$code" "$reason" "${#body}"
  for header in "$@"; do printf '%s\r\n' "$header"; done
  printf '\r\n%s' "$body"
}

# serve PORT HANDLER: serves in the background; sets server_pid.
# shellcheck disable=SC2034 # read by the servers that source this file
serve() {
  nc -ll -p "$1" -e "$2" &
  server_pid=$!
}
