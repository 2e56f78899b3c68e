#!/usr/bin/env bash
# Job: migrate every site with the new image
set -euo pipefail
sites=$(find sites -mindepth 2 -maxdepth 2 -name site_config.json -printf '%h\n' | sed 's#^sites/##' | sort)
if [ -z "$sites" ]; then
  echo "migrate: no sites yet, nothing to do"
  exit 0
fi
bench --site all migrate
# Frappe may lift maintenance mode when a migration ends; the old backend still serves until the new
# one is healthy, so the sites stay closed until the maintenance-off job.
for s in $sites; do
  bench --site "$s" set-maintenance-mode on
done
echo "migrate: migrated ${sites//$'\n'/ }"
