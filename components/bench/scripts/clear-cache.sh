#!/usr/bin/env bash
# Job: clear caches
set -euo pipefail
sites=$(find sites -mindepth 2 -maxdepth 2 -name site_config.json -printf '%h\n' | sed 's#^sites/##' | sort)
if [ -z "$sites" ]; then
  echo "clear-cache: no sites yet, nothing to do"
  exit 0
fi
bench --site all clear-cache
bench --site all clear-website-cache
echo "clear-cache: caches cleared"
