#!/usr/bin/env bash
# Job: close the sites and back them up before the database server changes
# Runs only when the stack's database server is about to run a new image and db-guard.sh (run first,
# on the machine running Pulumi) found the change safe; in the image the app processes run now. It
# opens the maintenance window exactly as an upgrade does (maintenance-on.sh: window recorded, a running
# scheduled backup awaited, sites closed, background jobs drained), then backs up every site
# (backup.sh, its settings in this job's env). The server is replaced after it; maintenance-off reopens
# the sites once every app process is healthy again. When the backup fails, nothing has changed yet (the
# old server runs on): the sites it closed are reopened (maintenance-off.sh) unless an earlier deploy
# had left them closed, and the server is not replaced.
set -euo pipefail
helpers=${FRAPPE_JOB_HELPERS_DIR:?FRAPPE_JOB_HELPERS_DIR is not set}
was_open=0
if [ -f sites/.deploy/window ]; then was_open=1; fi
bash "$helpers/maintenance-on.sh"
if ! bash "$helpers/backup.sh"; then
  if [ "$was_open" = 0 ]; then
    echo "db-upgrade: the backup failed; the database server keeps running and the sites open again" >&2
    bash "$helpers/maintenance-off.sh" >&2
  fi
  exit 1
fi
