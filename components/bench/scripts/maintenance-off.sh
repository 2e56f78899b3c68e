#!/usr/bin/env bash
# Job: resume the scheduler and switch maintenance mode off
# Site by site; then closes the maintenance window maintenance-on opened (sites/.deploy/window) and
# says how long the sites were closed, in a line the program reads back for the stack output
# `maintenanceWindow`: frappe-window: start=<ISO-8601 UTC> end=<ISO-8601 UTC> seconds=<n>
set -euo pipefail
window=sites/.deploy/window
sites=$(find sites -mindepth 2 -maxdepth 2 -name site_config.json -printf '%h\n' | sed 's#^sites/##' | sort)
if [ -z "$sites" ]; then
  echo "maintenance-off: no sites yet, nothing to do"
  rm -f "$window"
  exit 0
fi
for s in $sites; do
  bench --site "$s" scheduler resume
  bench --site "$s" set-maintenance-mode off
done
echo "maintenance-off: sites open again: ${sites//$'\n'/ }"
if [ -f "$window" ]; then
  read -r start_epoch start_iso < "$window"
  end_epoch=$(date -u +%s)
  seconds=$((end_epoch - start_epoch))
  echo "maintenance-off: the sites were closed from $start_iso to $(date -u -d "@$end_epoch" +%Y-%m-%dT%H:%M:%SZ) ($seconds s)"
  echo "frappe-window: start=$start_iso end=$(date -u -d "@$end_epoch" +%Y-%m-%dT%H:%M:%SZ) seconds=$seconds"
  rm -f "$window"
fi
