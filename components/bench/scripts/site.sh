#!/usr/bin/env bash
# Job: create the site or install its missing apps
# Create the site when it does not exist, otherwise install the apps of its list that are missing.
# Never drops or re-creates an existing site: the guard is the site's config file, as in pwd.yml.
# Env: SITE, SITE_APPS (space-separated), SITE_SET_DEFAULT (1|0), DB_TYPE (mariadb|postgres),
# DB_ROOT_USER, FRAPPE_IMAGE (named when an app is missing). Secrets: db-root-password, admin-password.
# new-site has no password-file flags, and `bench new-site --db-root-password <value>` would write the
# value to logs/bench.log and show it in `ps`: frappe_cli (secret-prelude.sh) runs the same Frappe
# command in the bench's Python with the passwords read from their files. What earlier deploys left in
# logs/bench.log is removed first.
set -euo pipefail
secrets=${SECRETS_DIR:-/run/secrets}
site=${SITE:?SITE is not set}
read -r -a apps <<< "${SITE_APPS:-}"

scrub_bench_log "$secrets/db-root-password" "$secrets/admin-password"

# Every app must be in the image before the site is touched (new-site would fail half-way).
for app in "${apps[@]}"; do
  if [ ! -d "apps/$app" ]; then
    echo "create-site: app $app of site $site is not in the image ${FRAPPE_IMAGE:-of this deploy}" \
      "(it has: $(cd apps && echo *)); build an image with it (frappe:build) or remove it from the site's apps" >&2
    exit 1
  fi
done

if [ ! -f "sites/$site/site_config.json" ]; then
  if [ -d "sites/$site" ]; then
    echo "create-site: sites/$site exists without site_config.json; inspect it by hand" >&2
    exit 1
  fi
  echo "create-site: creating $site"
  if [ "${DB_TYPE:-mariadb}" = postgres ]; then
    db_flags=(--db-type postgres --db-root-username "$DB_ROOT_USER")
  else
    db_flags=(--mariadb-user-host-login-scope=% --db-root-username "$DB_ROOT_USER")
  fi
  install=()
  for app in "${apps[@]}"; do install+=(--install-app "$app"); done
  if [ "${SITE_SET_DEFAULT:-0}" = 1 ]; then install+=(--set-default); fi
  frappe_cli new-site "$site" "${db_flags[@]}" \
    --db-root-password "@file:$secrets/db-root-password" \
    --admin-password "@file:$secrets/admin-password" "${install[@]}"
else
  echo "create-site: $site exists; leaving it as it is"
fi
for app in "${apps[@]}"; do
  # First column of list-apps is the app name in every Frappe version (later ones add version columns).
  if ! bench --site "$site" list-apps | awk '{print $1}' | grep -x "$app" > /dev/null; then
    echo "create-site: installing $app on $site"
    bench --site "$site" install-app "$app"
  fi
done
