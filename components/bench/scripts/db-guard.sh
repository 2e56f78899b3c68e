#!/bin/sh
# Database guard: runs through the Docker CLI of the machine running Pulumi (same DOCKER_HOST as the
# jobs), in the job that must finish before the stack's database server is replaced by one on a new
# image. It decides whether that job's backup runs, before any site is closed:
#   exit 0   the server changes: go on (the job closes the sites and backs up every site);
#   exit 10  nothing to guard: no server of this stack runs yet (a first deploy), or it already runs the
#            new image (a retry after the server was replaced);
#   exit 1   refused: the data files could not be opened by the new server. The server is not replaced
#            and the sites stay open.
# MariaDB's entrypoint upgrades the data files when the server is newer (MARIADB_AUTO_UPGRADE) and does
# nothing at all when it is older (MariaDB/mariadb-docker 11.8/docker-entrypoint.sh,
# _check_if_upgrade_is_needed: only old < new by major.minor upgrades): a downgrade of the major version
# (11.8 to 11.4) starts an older server on newer data files, so it is refused here. Postgres opens only a
# data directory of its own major version, so any change of it is refused (dump and restore instead).
# The running server's version is read from the container's environment (the images set MARIADB_VERSION,
# PG_MAJOR), or from its image tag; the new one from its tag. Not knowing either refuses too.
#
# Environment:
#   DBGUARD_ENGINE  mariadb | postgres
#   DBGUARD_KIND    container | service (Swarm)
#   DBGUARD_NAME    the container or service name of the stack's database server
#   DBGUARD_IMAGE   the image the server is to run
set -eu
: "${DBGUARD_ENGINE:?}" "${DBGUARD_KIND:?}" "${DBGUARD_NAME:?}" "${DBGUARD_IMAGE:?}"

refuse() {
    printf 'database guard: %s\nThe database server keeps running %s and the sites stay open; nothing was changed.\n' "$1" "$current" >&2
    exit 1
}

if [ "$DBGUARD_KIND" = service ]; then
    image_format='{{.Spec.TaskTemplate.ContainerSpec.Image}}'
    env_format='{{range .Spec.TaskTemplate.ContainerSpec.Env}}{{println .}}{{end}}'
else
    image_format='{{.Config.Image}}'
    env_format='{{range .Config.Env}}{{println .}}{{end}}'
fi
if ! current=$(docker "$DBGUARD_KIND" inspect -f "$image_format" "$DBGUARD_NAME" 2>&1); then
    case "$current" in
    *"o such"*)
        echo "database guard: no database server $DBGUARD_NAME runs yet; nothing to back up before it starts"
        exit 10
        ;;
    esac
    echo "database guard: cannot inspect $DBGUARD_NAME: $current" >&2
    exit 1
fi
# Swarm pins the digest it resolved (repo:tag@sha256:...): the same tag is the same server.
case "$current" in
"$DBGUARD_IMAGE" | "$DBGUARD_IMAGE"@*)
    echo "database guard: $DBGUARD_NAME already runs $DBGUARD_IMAGE; nothing to guard"
    exit 10
    ;;
esac

# major.minor (mariadb) or major (postgres) of a version string such as 1:11.8.2+maria~ubu2404 or 15.17.
series() {
    v=${1#*:}
    case "$DBGUARD_ENGINE" in
    mariadb) printf '%s\n' "$v" | sed -n 's/^\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' ;;
    *) printf '%s\n' "$v" | sed -n 's/^\([0-9][0-9]*\).*/\1/p' ;;
    esac
}
# The tag of an image reference (repo[:tag][@digest]), without the digest.
tag_of() {
    ref=${1%%@*}
    case "${ref##*/}" in
    *:*) printf '%s\n' "${ref##*:}" ;;
    esac
}

running_env=$(docker "$DBGUARD_KIND" inspect -f "$env_format" "$DBGUARD_NAME" 2>/dev/null || true)
case "$DBGUARD_ENGINE" in
mariadb) from_env=$(printf '%s\n' "$running_env" | sed -n 's/^MARIADB_VERSION=//p' | head -n 1) ;;
*) from_env=$(printf '%s\n' "$running_env" | sed -n 's/^PG_MAJOR=//p' | head -n 1) ;;
esac
old=$(series "${from_env:-$(tag_of "$current")}")
new=$(series "$(tag_of "$DBGUARD_IMAGE")")
if [ -z "$new" ]; then
    refuse "cannot tell the $DBGUARD_ENGINE version of $DBGUARD_IMAGE from its tag; give frappe:db.image a version tag (such as mariadb:11.8)"
fi
if [ -z "$old" ]; then
    refuse "cannot tell which $DBGUARD_ENGINE version $DBGUARD_NAME runs ($current)"
fi
case "$DBGUARD_ENGINE" in
mariadb)
    if [ "${old%%.*}" -gt "${new%%.*}" ] || { [ "${old%%.*}" -eq "${new%%.*}" ] && [ "${old#*.}" -gt "${new#*.}" ]; }; then
        refuse "$DBGUARD_IMAGE is MariaDB $new, older than the $old whose data files the server holds: a downgrade of the major version is refused (MariaDB does not convert its data files back). Go back by restoring a backup instead (docs/rollback.md)"
    fi
    ;;
*)
    if [ "$old" != "$new" ]; then
        refuse "$DBGUARD_IMAGE is Postgres $new and the data directory is Postgres $old: Postgres opens only a data directory of its own major version. Dump and restore instead (docs/upgrade.md)"
    fi
    ;;
esac
echo "database guard: $DBGUARD_NAME changes from $current ($DBGUARD_ENGINE $old) to $DBGUARD_IMAGE ($DBGUARD_ENGINE $new): closing the sites and backing them up first"
