#!/usr/bin/env bash
# Job: create new sites and install newly listed apps
# Runs after the sites reopened and every app process is healthy, outside any maintenance window, and
# only when the sites' configuration changed (a site or an app added): an image change runs it not at
# all, since `bench --site all migrate` already covers every existing site. Per site, independently of
# the others (at most SITES_PARALLEL at once):
# - a site that does not exist is created with its apps (the first listed site becomes the default);
# - a site whose listed apps are the ones this job last installed there (private/.deployed-apps) is
#   left alone, without starting Frappe;
# - otherwise its missing apps are installed: that site only is closed (maintenance mode, scheduler
#   paused, background jobs drained), backed up, the apps installed, and the site reopened. The other
#   sites stay open. A failed install leaves that site closed, with its backup taken.
# A site that fails does not stop the others; the job fails at the end, naming every failed site.
# Never drops or re-creates an existing site: the guard is the site's config file, as in pwd.yml.
# Env: SITES ("<site>:<app>,<app> <site>:..."), DEFAULT_SITE, SITES_PARALLEL (default 2), DB_TYPE
# (mariadb|postgres), DB_ROOT_USER, FRAPPE_IMAGE (named when an app is missing), FRAPPE_JOB_HELPERS_DIR
# (backup.sh), DRAIN_ATTEMPTS (60), DRAIN_INTERVAL (10 seconds). Secrets: db-root-password, admin-password.
# new-site has no password-file flags, and `bench new-site --db-root-password <value>` would write the
# value to logs/bench.log and show it in `ps`: frappe_cli (secret-prelude.sh) runs the same Frappe
# command in the bench's Python with the passwords read from their files. What earlier deploys left in
# logs/bench.log is removed first.
set -euo pipefail
secrets=${SECRETS_DIR:-/run/secrets}
parallel=${SITES_PARALLEL:-2}
attempts=${DRAIN_ATTEMPTS:-60}
interval=${DRAIN_INTERVAL:-10}
helpers=${FRAPPE_JOB_HELPERS_DIR:-}

say() { echo "sites: $*"; }

scrub_bench_log "$secrets/db-root-password" "$secrets/admin-password"

# Every app of the site must be in the image before the site is touched (new-site would fail half-way).
check_apps() {
  local site=$1 app
  shift
  for app in "$@"; do
    if [ ! -d "apps/$app" ]; then
      say "app $app of site $site is not in the image ${FRAPPE_IMAGE:-of this deploy}" \
        "(it has: $(cd apps && echo *)); build an image with it (frappe:build) or remove it from the site's apps" >&2
      return 1
    fi
  done
}

create_site() {
  local site=$1 app flags install=()
  shift
  if [ -d "sites/$site" ]; then
    say "sites/$site exists without site_config.json; inspect it by hand" >&2
    return 1
  fi
  say "creating $site"
  if [ "${DB_TYPE:-mariadb}" = postgres ]; then
    flags=(--db-type postgres --db-root-username "$DB_ROOT_USER")
  else
    flags=(--mariadb-user-host-login-scope=% --db-root-username "$DB_ROOT_USER")
  fi
  for app in "$@"; do install+=(--install-app "$app"); done
  if [ "$site" = "${DEFAULT_SITE:-}" ]; then install+=(--set-default); fi
  frappe_cli new-site "$site" "${flags[@]}" \
    --db-root-password "@file:$secrets/db-root-password" \
    --admin-password "@file:$secrets/admin-password" "${install[@]}"
}

# Closes one site and waits (bounded) until none of its background jobs is queued or running.
close_site() {
  local site=$1 n=0
  bench --site "$site" set-maintenance-mode on || return 1
  bench --site "$site" scheduler pause || return 1
  # ready-for-migration exists from Frappe 14 on.
  if ! bench --site "$site" ready-for-migration --help > /dev/null 2>&1; then return 0; fi
  until bench --site "$site" ready-for-migration; do
    n=$((n + 1))
    if [ "$n" -ge "$attempts" ]; then
      say "background jobs of $site still pending after $attempts checks $interval s apart; let them finish" \
        "(or drop them: bench purge-jobs --site $site) and run pulumi up again" >&2
      return 1
    fi
    sleep "$interval"
  done
}

install_apps() {
  local site=$1 missing=() app installed
  shift
  # First column of list-apps is the app name in every Frappe version (later ones add version columns).
  installed=$(bench --site "$site" list-apps) || return 1
  for app in "$@"; do
    # grep without -q reads all its input: an early exit would fail the pipe under pipefail.
    if ! printf '%s\n' "$installed" | awk '{print $1}' | grep -x "$app" > /dev/null; then missing+=("$app"); fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    say "$site has every listed app"
    return 0
  fi
  local start
  start=$(date +%s)
  say "closing $site to install ${missing[*]}"
  close_site "$site" || return 1
  BACKUP_SITES=$site BACKUP_LABEL="before-install-$site" BACKUP_WITH_FILES=1 bash "$helpers/backup.sh" || return 1
  for app in "${missing[@]}"; do
    if ! bench --site "$site" install-app "$app"; then
      say "installing $app on $site failed; $site stays in maintenance mode (backed up just before)" >&2
      return 1
    fi
  done
  bench --site "$site" scheduler resume || return 1
  bench --site "$site" set-maintenance-mode off || return 1
  say "$site reopened after $(($(date +%s) - start)) s"
}

# One site; returns non-zero on failure (every step is checked: errexit does not hold in here).
process_site() {
  local site=$1 marker="sites/$1/private/.deployed-apps" apps
  shift
  apps="$*"
  check_apps "$site" "$@" || return 1
  # Frappe's new-site creates locks/installing.lock first and removes it when it ends, even after an error
  # (frappe/installer.py _new_site: touch_file, then os.remove in finally): a lock left behind means a
  # new-site that was killed (runner stopped, host rebooted), whose site has its site_config.json but not
  # all its tables and apps, and must not pass for a created one.
  if [ -f "sites/$site/locks/installing.lock" ]; then
    say "sites/$site/locks/installing.lock is left from a new-site that was interrupted, so $site is half" \
      "made. Take it away as docs/interrupted-deploy.md (step 5) shows, then run pulumi up again; remove" \
      "the file only if you know the site was completed" >&2
    return 1
  fi
  if [ ! -f "sites/$site/site_config.json" ]; then
    create_site "$site" "$@" || return 1
  elif [ -f "$marker" ] && [ "$(cat "$marker")" = "$apps" ]; then
    say "$site unchanged"
    return 0
  else
    install_apps "$site" "$@" || return 1
  fi
  printf '%s' "$apps" > "$marker" || return 1
}

prefix() { while IFS= read -r line; do printf '[%s] %s\n' "$1" "$line"; done; }

read -r -a entries <<< "${SITES:-}"
if [ "${#entries[@]}" -eq 0 ]; then
  say "no sites configured"
  exit 0
fi
status=$(mktemp -d)
running=0
for entry in "${entries[@]}"; do
  site=${entry%%:*}
  IFS=, read -r -a apps <<< "${entry#*:}"
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  (
    set +e
    process_site "$site" "${apps[@]}"
    echo "$?" > "$status/$site"
  ) 2>&1 | prefix "$site" &
  running=$((running + 1))
done
wait
failed=()
for entry in "${entries[@]}"; do
  site=${entry%%:*}
  if [ "$(cat "$status/$site" 2> /dev/null)" != 0 ]; then failed+=("$site"); fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  say "failed: ${failed[*]} (their lines above are prefixed with the site); the other sites are done" >&2
  exit 1
fi
say "${#entries[@]} site(s) as configured"
