#!/usr/bin/env bash
# Job: create the site or install its missing apps
# Create the site when it does not exist, otherwise install the apps of its list that are missing.
# Never drops or re-creates an existing site: the guard is the site's config file, as in pwd.yml.
# Env: SITE, SITE_APPS (space-separated), SITE_SET_DEFAULT (1|0), DB_TYPE (mariadb|postgres),
# DB_ROOT_USER, FRAPPE_IMAGE (named when an app is missing). Secrets: db-root-password, admin-password.
# bench has no password-file flags, so the passwords are expanded from the secret files when the
# command runs: they are on bench's argv inside this job container only, never in Docker's
# configuration, Pulumi's state or the job's output.
set -euo pipefail
secrets=${SECRETS_DIR:-/run/secrets}
site=${SITE:?SITE is not set}
read -r -a apps <<< "${SITE_APPS:-}"

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
  bench new-site "$site" "${db_flags[@]}" \
    --db-root-password "$(cat "$secrets/db-root-password")" \
    --admin-password "$(cat "$secrets/admin-password")" "${install[@]}"
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
