#!/usr/bin/env bash
# One scheduled run of backup-cron: back up every site (backup.sh, next to this file, pruning to
# BACKUP_KEEP_LAST), then copy the sites volume offsite with restic when RESTIC_REPOSITORY is set.
# Env: as backup.sh, plus RESTIC_REPOSITORY, RESTIC_KEEP_LAST, FRAPPE_STACK.
# Secrets (offsite only): restic-password, s3-access-key-id, s3-secret-access-key.
set -euo pipefail
secrets=${SECRETS_DIR:-/run/secrets}
bash "$(dirname "${BASH_SOURCE[0]}")/backup.sh"
if [ -z "${RESTIC_REPOSITORY:-}" ]; then
  exit 0
fi
# Credentials reach restic's environment from the secret files, in this process only.
export RESTIC_PASSWORD_FILE="$secrets/restic-password"
AWS_ACCESS_KEY_ID="$(cat "$secrets/s3-access-key-id")"
AWS_SECRET_ACCESS_KEY="$(cat "$secrets/s3-secret-access-key")"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
restic snapshots > /dev/null 2>&1 || restic init
restic backup --tag frappe --tag "$FRAPPE_STACK" --exclude sites/assets sites
restic forget --tag frappe --tag "$FRAPPE_STACK" --group-by paths,tags --keep-last "$RESTIC_KEEP_LAST" --prune
echo "scheduled-backup: offsite copy in $RESTIC_REPOSITORY done"
