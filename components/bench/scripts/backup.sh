#!/usr/bin/env bash
# Job: back up every site before migrating
# Backups are written outside the directory Frappe cleans: `bench --site <site> backup --backup-path
# sites/.backups/<site>` (frappe/commands/site.py backup). Every `bench backup` first deletes each file
# in the site's private/backups whose ctime is keep_backups_for_hours (default 24) old
# (frappe/utils/backups.py new_backup -> delete_temp_backups, which never looks at --backup-path), and
# Frappe's hourly delete_downloadable_backups keeps only System Settings' backup_limit sets there
# (frappe/desk/page/backups/backups.py): what is kept in sites/.backups is decided here alone.
# Each site must have a database dump newer than the start of this run, otherwise the job fails
# and nothing after it (the migration) runs; the other sites are still backed up first.
# Env: BACKUP_LABEL (for messages), BACKUP_WITH_FILES (1|0), BACKUP_KEEP_LAST (backups per site to
# keep; empty: keep all), BACKUP_PROTECT (a backup timestamp pruning must never delete; may be empty),
# BACKUP_PIN (1: this run's backups are pinned, never pruned by any run; the pre-upgrade backup).
# Pinned: a <timestamp>.pinned file beside the backup, holding the label of the run that pinned it.
# Backups found in private/backups (taken by hand, or before this layout) are linked into
# sites/.backups/<site> and pinned before Frappe's cleanup can delete them. BACKUP_SITES (the sites to
# back up, space-separated; empty: every site).
# With Frappe's "Encrypt Backups" on, the files are named *-database-enc.sql.gz, *-files-enc.tar,
# *-private-files-enc.tar: every pattern here takes both forms.
set -euo pipefail
label=${BACKUP_LABEL:-backup}
root="$PWD/sites/.backups"
if [ -n "${BACKUP_SITES:-}" ]; then
  sites=$BACKUP_SITES
  for s in $sites; do
    if [ ! -f "sites/$s/site_config.json" ]; then
      echo "$label: site $s does not exist" >&2
      exit 1
    fi
  done
else
  sites=$(find sites -mindepth 2 -maxdepth 2 -name site_config.json -printf '%h\n' | sed 's#^sites/##' | sort)
fi
if [ -z "$sites" ]; then
  echo "$label: no sites yet, nothing to do"
  exit 0
fi

# Backup timestamps in a directory, newest first (the name starts with it: YYYYMMDD_HHMMSS).
stamps() {
  find "$1" -maxdepth 1 -type f \( -name '*-database.sql.gz' -o -name '*-database-enc.sql.gz' \) -printf '%f\n' |
    grep -E '^[0-9]{8}_[0-9]{6}-' | cut -c1-15 | sort -ru
}

pin() {
  [ -f "$1/$2.pinned" ] || echo "$3" > "$1/$2.pinned"
}

# Backups Frappe would delete from private/backups: a hard link (a copy where links fail) in ours.
adopt() {
  local from="sites/$1/private/backups" to="$2" f stamp
  [ -d "$from" ] || return 0
  for stamp in $(stamps "$from"); do
    for f in "$from/$stamp"-*; do
      if [ ! -f "$f" ] || [ -e "$to/${f##*/}" ]; then continue; fi
      ln "$f" "$to/${f##*/}" 2> /dev/null || cp -p "$f" "$to/${f##*/}"
    done
    pin "$to" "$stamp" "found in private/backups by $label"
  done
}

prune() {
  local dir=$1 kept=0 stamp
  for stamp in $(stamps "$dir"); do
    if [ -f "$dir/$stamp.pinned" ] || [ "$stamp" = "${BACKUP_PROTECT:-}" ]; then continue; fi
    kept=$((kept + 1))
    if [ "$kept" -gt "$BACKUP_KEEP_LAST" ]; then rm -f "$dir/$stamp"-*; fi
  done
}

failed=()
for s in $sites; do
  dir="$root/$s"
  mkdir -p "$dir"
  adopt "$s" "$dir"
  marker=$(mktemp)
  args=(--site "$s" backup --backup-path "$dir")
  if [ "${BACKUP_WITH_FILES:-1}" = 1 ]; then args+=(--with-files); fi
  if ! bench "${args[@]}"; then
    echo "$label: bench backup failed for $s" >&2
    failed+=("$s")
    rm -f "$marker"
    continue
  fi
  # A command substitution, not `| grep -q`: under pipefail an early-exiting grep can fail find.
  fresh=$(find "$dir" -maxdepth 1 \( -name '*-database.sql.gz' -o -name '*-database-enc.sql.gz' \) -newer "$marker" -printf '%f\n')
  rm -f "$marker"
  if [ -z "$fresh" ]; then
    echo "$label: no new database backup for $s; refusing to continue" >&2
    failed+=("$s")
    continue
  fi
  if [ "${BACKUP_PIN:-0}" = 1 ]; then
    for f in $fresh; do pin "$dir" "${f:0:15}" "$label"; done
  fi
  if [ -n "${BACKUP_KEEP_LAST:-}" ]; then prune "$dir"; fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "$label: failed for ${failed[*]}" >&2
  exit 1
fi
echo "$label: backed up $(echo "$sites" | wc -w) site(s) into sites/.backups"
