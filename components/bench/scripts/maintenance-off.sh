#!/usr/bin/env bash
# Job: resume the scheduler and switch maintenance mode off
# Site by site.
set -euo pipefail
sites=$(find sites -mindepth 2 -maxdepth 2 -name site_config.json -printf '%h\n' | sed 's#^sites/##' | sort)
if [ -z "$sites" ]; then
  echo "maintenance-off: no sites yet, nothing to do"
  exit 0
fi
for s in $sites; do
  bench --site "$s" scheduler resume
  bench --site "$s" set-maintenance-mode off
done
echo "maintenance-off: sites open again: ${sites//$'\n'/ }"
