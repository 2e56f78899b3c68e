#!/usr/bin/env bash
# Job: restore a named backup into a site, once
# Restore a named backup (by its timestamp) into a site, once: a marker file records the restore,
# so the job running again (a new image, a config change) never restores the old data over newer data.
# It runs inside the maintenance window, right after pre-upgrade-backup took the safety backup; the
# migrate job after it brings the restored data to the deployed code, maintenance-off reopens the site.
# Env: SITE, RESTORE_BACKUP (timestamp YYYYMMDD_HHMMSS), RESTORE_WITH_FILES (1|0), DB_ROOT_USER.
# Secret: db-root-password, handed to Frappe by frappe_cli (secret-prelude.sh), never on a command line.
# The backup is looked for in sites/.backups/<site>/ (where backup.sh writes, outside Frappe's
# cleanup), then in the site's private/backups (taken by hand, or before that layout). Backups of
# Frappe's "Encrypt Backups" setting (*-database-enc.sql.gz, *-files-enc.tar) are found too; bench
# restore decrypts them with the site's backup_encryption_key.
set -euo pipefail
secrets=${SECRETS_DIR:-/run/secrets}
site=${SITE:?SITE is not set}
stamp=${RESTORE_BACKUP:?RESTORE_BACKUP is not set}
scrub_bench_log "$secrets/db-root-password"
# Absolute: bench runs Frappe from sites/, and the archives must be found from there too.
dirs=("$PWD/sites/.backups/$site" "$PWD/sites/$site/private/backups")
marker="sites/$site/private/.restored-$stamp"

# The file of this backup with the given suffix, plain or -enc (e.g. database.sql.gz also finds
# database-enc.sql.gz); the public files archive is the one that is not the private one.
backup_file() {
  local f
  for f in "$dir/$stamp"-*; do
    case "$f" in
      *-private-files.tar | *-private-files-enc.tar) [ "$1" = private-files.tar ] || continue ;;
    esac
    case "$f" in
      *-"$1" | *-"${1%%.*}-enc.${1#*.}") echo "$f"; return 0 ;;
    esac
  done
}

if [ -f "$marker" ]; then
  echo "restore: $stamp was restored into $site on $(cat "$marker"); not again (remove frappe:restore)"
  exit 0
fi
if [ ! -f "sites/$site/site_config.json" ]; then
  echo "restore: site $site does not exist (restore the sites volume first, see README)" >&2
  exit 1
fi
db=""
for dir in "${dirs[@]}"; do
  db=$(backup_file database.sql.gz)
  if [ -n "$db" ]; then break; fi
done
if [ -z "$db" ]; then
  echo "restore: no database backup $stamp for $site in ${dirs[*]}" >&2
  ls -1 "${dirs[@]}" >&2 || true
  exit 1
fi
extra=()
if [ "${RESTORE_WITH_FILES:-1}" = 1 ]; then
  pub=$(backup_file files.tar)
  priv=$(backup_file private-files.tar)
  if [ -z "$pub" ] || [ -z "$priv" ]; then
    echo "restore: files archives of $stamp missing in $dir" >&2
    exit 1
  fi
  extra=(--with-public-files "$pub" --with-private-files "$priv")
fi
# --force below skips bench's own dump check (and its downgrade prompt), so check the dump here.
if [[ $db == *-enc.sql.gz ]]; then
  # Frappe encrypts with gpg, the passphrase being the site's backup_encryption_key (handed to gpg on
  # a file descriptor, never on its command line).
  if ! command -v gpg > /dev/null; then
    echo "restore: $db is encrypted and gpg is not in this image" >&2
    exit 1
  fi
  key=$(jq -r '.backup_encryption_key // empty' "sites/$site/site_config.json")
  if [ -z "$key" ]; then
    echo "restore: $db is encrypted and site $site has no backup_encryption_key in its site_config.json" >&2
    exit 1
  fi
  dump() { gpg --batch --quiet --pinentry-mode loopback --passphrase-fd 3 --decrypt "$db" 3<<< "$key" | gzip -cd; }
else
  dump() { gzip -cd "$db"; }
fi
if ! (set +o pipefail; dump | grep -q "tabDefaultValue"); then
  echo "restore: $db does not look like a Frappe database dump" >&2
  exit 1
fi
bench --site "$site" set-maintenance-mode on
# --force: a backup taken by a newer image (the pre-upgrade backup of a failed upgrade) makes bench
# ask before restoring it with an older one, and a job has no terminal to answer on.
frappe_cli --site "$site" restore "$db" "${extra[@]}" --force --db-root-username "$DB_ROOT_USER" \
  --db-root-password "@file:$secrets/db-root-password"
date -u +%Y-%m-%dT%H:%M:%SZ > "$marker"
# The restored database has the apps of its backup: the sites job checks this site's apps again.
rm -f "sites/$site/private/.deployed-apps"
echo "restore: $site restored from $stamp"
