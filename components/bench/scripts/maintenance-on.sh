#!/usr/bin/env bash
# Job: switch maintenance mode on and pause the scheduler
# Opens the maintenance window: records its start in sites/.deploy/window (backup-cron starts no
# scheduled backup while that file exists) and waits until a scheduled backup that is running has
# finished (backup-cron holds the flock on sites/.deploy/backup.lock for a whole run). Then switches
# maintenance mode on and pauses the scheduler of every site, and waits (bounded) until no background
# job is queued or running, so that nothing writes any more when the backup after this job starts and
# the old workers are not half-way through a job when the schema changes under them.
# set-maintenance-mode and scheduler act on one site only: one call per site.
# When it fails after closing sites in a window it opened itself, nothing has changed yet (no backup
# restored, nothing migrated, the same app processes serve): it reopens those sites and closes the
# window before failing, so going back to the image that runs needs no job. In a window an earlier deploy
# left open (a failed migration) the sites stay closed.
# Env (optional): DRAIN_ATTEMPTS (60), DRAIN_INTERVAL (10 seconds), BACKUP_WAIT (seconds to wait for a
# running scheduled backup, 3600).
set -euo pipefail
attempts=${DRAIN_ATTEMPTS:-60}
interval=${DRAIN_INTERVAL:-10}
sites=$(find sites -mindepth 2 -maxdepth 2 -name site_config.json -printf '%h\n' | sed 's#^sites/##' | sort)
if [ -z "$sites" ]; then
  echo "maintenance-on: no sites yet, nothing to do"
  exit 0
fi
mkdir -p sites/.deploy
window=sites/.deploy/window
opened=""
if [ -f "$window" ]; then
  echo "maintenance-on: the window opened at $(cut -d' ' -f2 "$window") is still open (an earlier deploy stopped in it)"
else
  printf '%s %s\n' "$(date -u +%s)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$window.tmp"
  mv "$window.tmp" "$window"
  opened=1
fi
if ! flock -w "${BACKUP_WAIT:-3600}" sites/.deploy/backup.lock true; then
  # Nothing is closed yet: give the window back so that scheduled backups go on.
  if [ -n "$opened" ]; then rm -f "$window"; fi
  echo "maintenance-on: a scheduled backup (backup-cron) still runs after ${BACKUP_WAIT:-3600} s; the sites" \
    "stay open. Run pulumi up again when it has finished (docker logs of the backup-cron container)" >&2
  exit 1
fi
closed=""
fail() {
  echo "maintenance-on: $*" >&2
  if [ -n "$opened" ]; then
    for c in $closed; do
      bench --site "$c" scheduler resume || true
      bench --site "$c" set-maintenance-mode off || true
    done
    rm -f "$window"
    echo "maintenance-on: nothing was changed yet, so the sites it closed are open again:$closed" >&2
  fi
  exit 1
}
echo "maintenance-on: window open since $(cut -d' ' -f2 "$window"); closing the sites"
for s in $sites; do
  closed="$closed $s"
  bench --site "$s" set-maintenance-mode on || fail "cannot switch maintenance mode on for $s"
  bench --site "$s" scheduler pause || fail "cannot pause the scheduler of $s"
done
for s in $sites; do
  # ready-for-migration exists from Frappe 14 on.
  if ! bench --site "$s" ready-for-migration --help > /dev/null 2>&1; then continue; fi
  n=0
  until bench --site "$s" ready-for-migration; do
    n=$((n + 1))
    if [ "$n" -ge "$attempts" ]; then
      fail "background jobs of $s still pending after $attempts checks $interval s apart;" \
        "let them finish (or drop them: bench purge-jobs --site $s) and run pulumi up again"
    fi
    sleep "$interval"
  done
done
echo "maintenance-on: maintenance mode on, scheduler paused for: ${sites//$'\n'/ }"
