#!/usr/bin/env bash
# Job: back up every site before migrating
# Each site must have a database dump newer than the start of this run, otherwise the job fails
# and nothing after it (the migration) runs.
# Env: BACKUP_LABEL (for messages), BACKUP_WITH_FILES (1|0), BACKUP_KEEP_LAST (backups per site to
# keep; empty: keep all), BACKUP_PROTECT (a backup timestamp pruning must never delete; may be empty).
# With Frappe's "Encrypt Backups" on, the files are named *-database-enc.sql.gz, *-files-enc.tar,
# *-private-files-enc.tar: every pattern here takes both forms.
set -euo pipefail
label=${BACKUP_LABEL:-backup}
sites=$(find sites -mindepth 2 -maxdepth 2 -name site_config.json -printf '%h\n' | sed 's#^sites/##' | sort)
if [ -z "$sites" ]; then
  echo "$label: no sites yet, nothing to do"
  exit 0
fi
marker=$(mktemp)
if [ "${BACKUP_WITH_FILES:-1}" = 1 ]; then
  bench --site all backup --with-files
else
  bench --site all backup
fi
for s in $sites; do
  dir="sites/$s/private/backups"
  # A command substitution, not `| grep -q`: under pipefail an early-exiting grep can fail find.
  fresh=$(find "$dir" -maxdepth 1 \( -name '*-database.sql.gz' -o -name '*-database-enc.sql.gz' \) -newer "$marker")
  if [ -z "$fresh" ]; then
    echo "$label: no new database backup for $s; refusing to continue" >&2
    exit 1
  fi
  if [ -n "${BACKUP_KEEP_LAST:-}" ]; then
    # Keep the newest N dumps (and the other files of the same runs) per site.
    find "$dir" -maxdepth 1 \( -name '*-database.sql.gz' -o -name '*-database-enc.sql.gz' \) -printf '%T@ %f\n' |
      sort -rn | tail -n +"$((BACKUP_KEEP_LAST + 1))" | while read -r _ old; do
      stamp=${old%%-*}
      if [ "$stamp" = "${BACKUP_PROTECT:-}" ]; then continue; fi
      rm -f "$dir/$stamp"-*
    done
  fi
done
echo "$label: backed up $(echo "$sites" | wc -w) site(s)"
