#!/usr/bin/env bash
# Job: switch maintenance mode on and pause the scheduler
# Switch maintenance mode on and pause the scheduler of every site, then wait (bounded) until no
# background job is queued or running, so the old workers are not half-way through a job when the
# schema changes under them. set-maintenance-mode and scheduler act on one site only: one call per site.
# Env (optional): DRAIN_ATTEMPTS (60), DRAIN_INTERVAL (10 seconds).
set -euo pipefail
attempts=${DRAIN_ATTEMPTS:-60}
interval=${DRAIN_INTERVAL:-10}
sites=$(find sites -mindepth 2 -maxdepth 2 -name site_config.json -printf '%h\n' | sed 's#^sites/##' | sort)
if [ -z "$sites" ]; then
  echo "maintenance-on: no sites yet, nothing to do"
  exit 0
fi
for s in $sites; do
  bench --site "$s" set-maintenance-mode on
  bench --site "$s" scheduler pause
done
for s in $sites; do
  # ready-for-migration exists from Frappe 14 on.
  if ! bench --site "$s" ready-for-migration --help > /dev/null 2>&1; then continue; fi
  n=0
  until bench --site "$s" ready-for-migration; do
    n=$((n + 1))
    if [ "$n" -ge "$attempts" ]; then
      echo "maintenance-on: background jobs of $s still pending after $attempts checks $interval s apart;" \
        "let them finish (or drop them: bench purge-jobs --site $s) and run pulumi up again" >&2
      exit 1
    fi
    sleep "$interval"
  done
done
echo "maintenance-on: maintenance mode on, scheduler paused for: ${sites//$'\n'/ }"
