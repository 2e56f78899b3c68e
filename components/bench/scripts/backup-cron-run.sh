#!/usr/bin/env bash
# One scheduled run of backup-cron: back up every site (backup.sh, next to this file, pruning to
# BACKUP_KEEP_LAST), then copy the sites volume offsite with restic when RESTIC_REPOSITORY is set.
# Env: as backup.sh, plus RESTIC_REPOSITORY, RESTIC_KEEP_LAST, FRAPPE_STACK.
# Secrets (offsite only): restic-password, s3-access-key-id, s3-secret-access-key.
# restic is given the absolute path of the sites directory, so a snapshot holds
# /home/frappe/frappe-bench/sites/... and `restic restore --target /` puts it back there (docs/restore.md).
# The offsite copy's result is recorded in sites/.backups/.status/offsite.json (written whole: tmp + mv).
set -euo pipefail
secrets=${SECRETS_DIR:-/run/secrets}
# Never during a maintenance window (an upgrade migrating, a restore): hold the lock maintenance-on
# waits for, and while its window is open, let go and wait for it to close (at most WINDOW_WAIT s).
mkdir -p sites/.deploy
exec 9> sites/.deploy/backup.lock
flock 9
waited=0
while [ -f sites/.deploy/window ]; do
  if [ "$waited" -ge "${WINDOW_WAIT:-21600}" ]; then
    echo "scheduled-backup: a maintenance window is open since $(cut -d' ' -f2 sites/.deploy/window) (sites/.deploy/window);" \
      "no backup after ${WINDOW_WAIT:-21600} s. Finish the deploy (pulumi up) or, if none runs, remove that file" >&2
    exit 1
  fi
  flock -u 9
  sleep "${WINDOW_POLL:-30}"
  waited=$((waited + ${WINDOW_POLL:-30}))
  flock 9
done
bash "$(dirname "${BASH_SOURCE[0]}")/backup.sh"
if [ -z "${RESTIC_REPOSITORY:-}" ]; then
  exit 0
fi
# Credentials reach restic's environment from the secret files, in this process only.
export RESTIC_PASSWORD_FILE="$secrets/restic-password"
AWS_ACCESS_KEY_ID="$(cat "$secrets/s3-access-key-id")"
AWS_SECRET_ACCESS_KEY="$(cat "$secrets/s3-secret-access-key")"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
sites="$PWD/sites"
status="$sites/.backups/.status"
log=$(mktemp)

offsite() {
  restic snapshots > /dev/null 2>&1 || restic init || return 1
  restic backup --json --tag frappe --tag "$FRAPPE_STACK" --exclude "$sites/assets" "$sites" > "$log.json" || return 1
  # The summary names the snapshot by its short ID in restic 0.14 and its full ID in later releases: ask for the full one.
  snapshot=$(jq -r 'select(.message_type == "summary") | .snapshot_id' "$log.json") || return 1
  snapshot=$(restic snapshots --json "$snapshot" | jq -r '.[0].id') || return 1
  restic forget --tag frappe --tag "$FRAPPE_STACK" --group-by paths,tags --keep-last "$RESTIC_KEEP_LAST" --prune > /dev/null
}

record() {
  mkdir -p "$status"
  jq -n --arg finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson ok "$1" --arg snapshot "${snapshot:-}" --arg error "$2" \
    '{finished: $finished, ok: $ok, snapshot: (if $snapshot == "" then null else $snapshot end),
      error: (if $error == "" then null else $error end)}' > "$status/.offsite.json.tmp"
  mv "$status/.offsite.json.tmp" "$status/offsite.json"
}

snapshot=""
if offsite 2> "$log"; then
  record true ""
  rm -f "$log" "$log.json"
  echo "scheduled-backup: offsite copy in $RESTIC_REPOSITORY done (snapshot ${snapshot:0:8})"
else
  cat "$log" >&2
  record false "restic failed: $(tail -n 3 "$log" | tr '\n' ' ')"
  rm -f "$log" "$log.json"
  echo "scheduled-backup: offsite copy in $RESTIC_REPOSITORY FAILED" >&2
  exit 1
fi
