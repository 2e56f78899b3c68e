#!/usr/bin/env bash
# Job: write apps.txt and common_site_config.json
# Write sites/apps.txt (the apps baked into this image) and common_site_config.json.
# Env: DB_HOST DB_PORT REDIS_CACHE REDIS_QUEUE SOCKETIO_PORT (host:port values), WORKERS_JSON (the
# custom queues object), DB_TYPE (mariadb|postgres), REDIS_AUTH (1: the Redis password file exists).
# set -euo pipefail: frappe_docker's configurator chains with `;` and exits 0 after a failed set-config.
set -euo pipefail
secrets=${SECRETS_DIR:-/run/secrets}
config=sites/common_site_config.json

ls -1 apps > sites/apps.txt
bench set-config -g db_host "$DB_HOST"
bench set-config -gp db_port "$DB_PORT"
if [ "${REDIS_AUTH:-0}" = 1 ]; then
  # Frappe takes Redis credentials in the URL (redis://:password@host:port): URL-encoded (jq's @uri
  # keeps only A-Z a-z 0-9 - _ . ~), all three keys in one step, the password read from its file.
  jq --rawfile pw "$secrets/redis-password" \
    '($pw | @uri) as $p | .redis_cache = "redis://:\($p)@\(env.REDIS_CACHE)"
     | .redis_queue = "redis://:\($p)@\(env.REDIS_QUEUE)" | .redis_socketio = .redis_queue' \
    "$config" > "$config.tmp"
  mv "$config.tmp" "$config"
else
  bench set-config -g redis_cache "redis://$REDIS_CACHE"
  bench set-config -g redis_queue "redis://$REDIS_QUEUE"
  bench set-config -g redis_socketio "redis://$REDIS_QUEUE"
fi
bench set-config -gp socketio_port "$SOCKETIO_PORT"
# v16 images render PDFs with chromium; older images don't ship it, and the key must not point nowhere.
if [ -x /usr/bin/chromium-headless-shell ]; then
  bench set-config -g chromium_path /usr/bin/chromium-headless-shell
fi
# Always written ({} without custom queues): a queue left declared with no worker would keep
# accepting jobs nobody runs, and ready-for-migration would wait for them at every upgrade.
bench set-config -gp workers "${WORKERS_JSON:?WORKERS_JSON is not set}"
if [ "${DB_TYPE:-mariadb}" = postgres ]; then
  # new-site and restore get the superuser as flags; earlier versions stored it here: remove it.
  jq 'del(.root_login, .root_password)' "$config" > "$config.tmp"
  mv "$config.tmp" "$config"
fi
for key in db_host db_port redis_cache redis_queue socketio_port; do
  if [ -z "$(jq -r ".$key // empty" "$config")" ]; then
    echo "configurator: $key is empty in common_site_config.json" >&2
    exit 1
  fi
done
echo "configurator: apps $(paste -sd, sites/apps.txt); common_site_config.json written"
