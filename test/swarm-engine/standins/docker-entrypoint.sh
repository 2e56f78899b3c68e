#!/bin/bash
# Stand-in for the entrypoints of the database and Redis images, doing what decides whether their Swarm
# secrets and volumes work:
# - postgres (docker-library/postgres 15 docker-entrypoint.sh, _main): reads POSTGRES_PASSWORD_FILE
#   (file_env), creates PGDATA, re-executes itself as the postgres user (gosu) and reads the file again:
#   a secret readable by root only stops the database here, as it would there.
# - redis-server (docker-library/redis docker-entrypoint.sh): chowns its directory to redis and
#   re-executes itself as redis (gosu).
set -euo pipefail
# drop_to UID ARGS...: this script again, as UID (what gosu does).
drop_to() {
  local uid=$1
  shift
  exec setpriv --reuid="$uid" --regid="$uid" --clear-groups "${BASH_SOURCE[0]}" "$@"
}
if [ "${1#-}" != "${1:-}" ]; then set -- redis-server "$@"; fi
case "${1:-}" in
  postgres)
    : "${POSTGRES_PASSWORD_FILE:?the stand-in expects POSTGRES_PASSWORD_FILE}"
    password=$(cat "$POSTGRES_PASSWORD_FILE")
    [ -n "$password" ] || { echo "postgres stand-in: $POSTGRES_PASSWORD_FILE is empty" >&2; exit 1; }
    if [ "$(id -u)" = 0 ]; then
      mkdir -p "$PGDATA"
      chown -R 999:999 "$PGDATA"
      chmod 700 "$PGDATA"
      drop_to 999 "$@"
    fi
    [ -s "$PGDATA/PG_VERSION" ] || echo 15 > "$PGDATA/PG_VERSION"
    exec postgres-server
    ;;
  redis-server)
    if [ "$(id -u)" = 0 ]; then
      find . \! -user 999 -exec chown 999 '{}' +
      drop_to 999 "$@"
    fi
    exec redis-server-standin "$@"
    ;;
esac
exec "$@"
