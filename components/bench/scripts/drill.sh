#!/usr/bin/env bash
# Restore drills (backup-cron, on frappe:backup.verify's schedule), and their last results.
#   drill.sh          restore the newest database backup of every site into a scratch database, check it, drop it
#   drill.sh status   print the last drill of every site (exit 1 when one failed)
# For each site: the newest <stamp>-<slug>-database[-enc].sql.gz in sites/.backups/<site>/ or the
# site's private/backups is decompressed (decrypted with the site's backup_encryption_key first, as
# restore.sh does) and loaded with the database client into drill_<hash of stack and site> on the
# site's own database server (db_type, db_host, db_port of its config), as the drill account
# (drill-account.sh: it can reach drill_* databases only). The drill passes when the dump is complete
# (mysqldump's "-- Dump completed" / pg_dump's "-- PostgreSQL database dump complete" trailer), loads
# without an error, and holds Frappe's core tables tabDefaultValue, __Auth and tabUser, with at least
# one user. The scratch database is dropped afterwards, whatever happened.
# Each result goes to sites/.backups/.status/drill-<site>.json (written whole: tmp + mv):
#   {"finished": ISO-8601 UTC, "ok": bool, "backup": file name or null, "engine": "mariadb"|"postgres", "error": text or null}
# and to the log; a failed drill makes this script (so backup-cron's health) fail.
# Env: DRILL_DB_USER, FRAPPE_STACK. Secret: drill-db-password.
set -euo pipefail
secrets=${SECRETS_DIR:-/run/secrets}
status_dir="$PWD/sites/.backups/.status"
common=sites/common_site_config.json
[ -f "$common" ] || common=/dev/null
required=(tabDefaultValue __Auth tabUser)

bench_sites() {
  find sites -mindepth 2 -maxdepth 2 -name site_config.json -printf '%h\n' | sed 's#^sites/##' | sort
}

# A key of the site's config: common_site_config.json overlaid by site_config.json (frappe.get_site_config).
conf() {
  jq -r --arg k "$2" --slurpfile c "$common" '(($c[0] // {}) + .) | .[$k] // empty | tostring' "sites/$1/site_config.json"
}

print_status() {
  local failed=0 site f
  printf '%-32s %-21s %-7s %-8s %s\n' SITE "LAST DRILL (UTC)" RESULT ENGINE BACKUP
  for site in $(bench_sites); do
    f="$status_dir/drill-$site.json"
    if [ ! -f "$f" ]; then
      printf '%-32s %-21s %-7s\n' "$site" - never
      continue
    fi
    jq -r --arg site "$site" '[$site, .finished, (if .ok then "ok" else "FAILED" end), .engine, (.backup // "-")]
      | "\(.[0]) \(.[1]) \(.[2]) \(.[3]) \(.[4])"' "$f" | while read -r a b c d e; do
      printf '%-32s %-21s %-7s %-8s %s\n' "$a" "$b" "$c" "$d" "$e"
    done
    if [ "$(jq -r .ok "$f")" != true ]; then
      failed=1
      echo "    error: $(jq -r '.error // "-"' "$f")"
    fi
  done
  return "$failed"
}

record() { # site ok backup engine error
  mkdir -p "$status_dir"
  jq -n --arg finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson ok "$2" --arg backup "$3" --arg engine "$4" \
    --arg error "$5" '{finished: $finished, ok: $ok, backup: (if $backup == "" then null else $backup end),
      engine: $engine, error: (if $error == "" then null else $error end)}' > "$status_dir/.drill-$1.json.tmp"
  mv "$status_dir/.drill-$1.json.tmp" "$status_dir/drill-$1.json"
}

# The newest full database backup of a site (a partial one lacks tables), ours first on a tie.
newest_backup() {
  local slug=${1//./_}
  find "sites/.backups/$1" "sites/$1/private/backups" -maxdepth 1 -type f -printf '%f %p\n' 2> /dev/null |
    grep -E "^[0-9]{8}_[0-9]{6}-$slug-database(-enc)?\.sql\.gz " | sort -k1,1r -k2,2 | head -n 1 | cut -d' ' -f2- || true
}

# One site's drill, in its own process: any failing step ends it, and the EXIT trap cleans up and records.
drill_one() {
  site=$1
  engine=$(conf "$site" db_type)
  [ "$engine" = postgres ] || engine=mariadb
  host=$(conf "$site" db_host)
  host=${host:-127.0.0.1}
  port=$(conf "$site" db_port)
  if [ -z "$port" ]; then if [ "$engine" = postgres ]; then port=5432; else port=3306; fi; fi
  scratch="drill_$(printf '%s/%s' "${FRAPPE_STACK:-}" "$site" | sha256sum | cut -c1-16)"
  tmp=$(mktemp -d)
  backup="" created=0 step="looking for the newest database backup"
  trap finish EXIT
  file=$(newest_backup "$site")
  [ -n "$file" ] || fail "no database backup of $site in sites/.backups/$site or sites/$site/private/backups"
  backup=${file##*/}
  step="reading the drill account's password"
  connect
  step="dropping a scratch database left by an earlier drill"
  drop_scratch
  step="creating the scratch database $scratch"
  create_scratch
  created=1
  step="loading $backup into $scratch"
  load
  step="checking that the dump is complete"
  [ "$(cat "$tmp/complete")" = 1 ] || fail "the dump is incomplete: it has no end-of-dump line (truncated?)"
  step="checking Frappe's core tables in $scratch"
  check
}

fail() {
  echo "$1" >> "$tmp/err"
  exit 1
}

# What went wrong, from the collected error output: the lines that say so (a client echoes part of the
# failing statement before them), else the last ones; at most 300 characters, and without the quoted
# statement text of MariaDB's syntax errors (it would copy site data into the log and the status).
reason() {
  local lines
  lines=$(grep -E -i 'error|fatal|unexpected|denied|invalid|no such|incomplete|missing|no row|no database backup|no backup_encryption_key' "$tmp/err" 2> /dev/null | tail -n 2) ||
    lines=$(grep -v '^$' "$tmp/err" 2> /dev/null | tail -n 2)
  printf '%s' "$lines" | tr '\n' ' ' | sed -E "s/ near '.*' at line / at line /g" | cut -c1-300
}

finish() {
  local code=$? error=""
  if [ "$created" = 1 ]; then
    drop_scratch 2>> "$tmp/err" || { code=1; step="dropping the scratch database $scratch"; }
  fi
  if [ "$code" = 0 ]; then
    record "$site" true "$backup" "$engine" ""
    echo "drill: $site ok: $backup restored into a scratch database on $engine at $host:$port, $(cat "$tmp/users") user(s)"
  else
    error="$step: $(reason)"
    record "$site" false "$backup" "$engine" "$error"
    echo "drill: $site FAILED (backup ${backup:-none}): $error" >&2
  fi
  rm -rf "$tmp"
  exit "$code"
}

connect() {
  local password
  password=$(cat "$secrets/drill-db-password")
  if [ "$engine" = postgres ]; then
    printf '%s:%s:*:%s:%s\n' "$host" "$port" "$DRILL_DB_USER" "$password" > "$tmp/pgpass"
    chmod 600 "$tmp/pgpass"
    export PGPASSFILE="$tmp/pgpass" PGHOST="$host" PGPORT="$port" PGUSER="$DRILL_DB_USER" PGCONNECT_TIMEOUT=20
  else
    client=$(command -v mariadb || command -v mysql)
    printf '[client]\nuser=%s\npassword="%s"\nhost=%s\nport=%s\nconnect-timeout=20\n' \
      "$DRILL_DB_USER" "$password" "$host" "$port" > "$tmp/my.cnf"
    chmod 600 "$tmp/my.cnf"
  fi
}

sql() { # database, statement: one value per line
  if [ "$engine" = postgres ]; then
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2" 2>> "$tmp/err"
  else
    "$client" --defaults-extra-file="$tmp/my.cnf" --batch --skip-column-names -e "$2" ${1:+"$1"} 2>> "$tmp/err"
  fi
}

drop_scratch() {
  if [ "$engine" = postgres ]; then
    sql postgres "DROP DATABASE IF EXISTS \"$scratch\"" > /dev/null
  else
    sql "" "DROP DATABASE IF EXISTS \`$scratch\`" > /dev/null
  fi
}

create_scratch() {
  if [ "$engine" = postgres ]; then
    sql postgres "CREATE DATABASE \"$scratch\"" > /dev/null
  else
    sql "" "CREATE DATABASE \`$scratch\`" > /dev/null
  fi
}

dump() {
  if [[ $file == *-enc.sql.gz ]]; then
    local key=""
    # The key of the backup's own config copy (Frappe does not encrypt it), else the site's.
    [ ! -f "${file%-database-enc.sql.gz}-site_config_backup-enc.json" ] ||
      key=$(jq -r '.backup_encryption_key // empty' "${file%-database-enc.sql.gz}-site_config_backup-enc.json")
    [ -n "$key" ] || key=$(jq -r '.backup_encryption_key // empty' "sites/$site/site_config.json")
    [ -n "$key" ] || { echo "$backup is encrypted and $site has no backup_encryption_key" >&2; return 1; }
    gpg --batch --quiet --pinentry-mode loopback --passphrase-fd 3 --decrypt "$file" 3<<< "$key" | gzip -cd
  else
    gzip -cd "$file"
  fi
}

# The dump into the scratch database; $tmp/complete says whether its end-of-dump line went through.
# Ownership and privilege statements of a pg_dump name the site's role, which the drill account may
# not use: they are left out (they do not change what the checks read). Likewise DEFINER clauses.
load() {
  local trailer
  if [ "$engine" = postgres ]; then trailer="-- PostgreSQL database dump complete"; else trailer="-- Dump completed"; fi
  dump 2>> "$tmp/err" |
    awk -v out="$tmp/complete" -v t="$trailer" '{ print } index($0, t) == 1 { done = 1 } END { print done + 0 > out }' |
    if [ "$engine" = postgres ]; then
      sed -E '/^ALTER .* OWNER TO .*;$/d; /^(GRANT|REVOKE) .*;$/d' |
        psql -X -q -v ON_ERROR_STOP=1 -d "$scratch" > /dev/null 2>> "$tmp/err"
    else
      # shellcheck disable=SC2016 # backquotes of SQL
      sed -E '/^(\/\*!5001[37]|CREATE)/ s/DEFINER=`[^`]+`@`[^`]+` ?//' |
        "$client" --defaults-extra-file="$tmp/my.cnf" "$scratch" 2>> "$tmp/err"
    fi
}

check() {
  local present missing=() t in
  in=$(printf "'%s'," "${required[@]}")
  if [ "$engine" = postgres ]; then
    present=$(sql "$scratch" "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN (${in%,})")
  else
    present=$(sql "$scratch" "SELECT table_name FROM information_schema.tables WHERE table_schema = '$scratch' AND table_name IN (${in%,})")
  fi
  for t in "${required[@]}"; do
    grep -qx "$t" <<< "$present" || missing+=("$t")
  done
  [ "${#missing[@]}" = 0 ] || fail "Frappe's core table(s) ${missing[*]} missing from the restored database"
  if [ "$engine" = postgres ]; then
    sql "$scratch" 'SELECT count(*) FROM "tabUser"' > "$tmp/users"
  else
    # shellcheck disable=SC2016 # backquotes of SQL
    sql "$scratch" 'SELECT COUNT(*) FROM `tabUser`' > "$tmp/users"
  fi
  [ "$(cat "$tmp/users")" -ge 1 ] || fail "tabUser has no row"
}

drill_all() {
  local site db failed=() unsafe=""
  # A maintenance window (an upgrade, a restore, a database server change) is no time to load the server
  # or to read backups being written: skipped, not recorded; the next scheduled drill runs.
  if [ -f sites/.deploy/window ]; then
    echo "drill: a maintenance window is open (sites/.deploy/window); no drill this time"
    return 0
  fi
  sites=$(bench_sites)
  if [ -z "$sites" ]; then
    echo "drill: no sites yet, nothing to do"
    return 0
  fi
  # The drill account reaches every database named drill_*: a site's must never be one of them.
  for site in $sites; do
    db=$(conf "$site" db_name)
    if [[ $db == drill_* ]]; then unsafe+="$site (database $db) "; fi
  done
  if [ -n "$unsafe" ]; then
    for site in $sites; do
      record "$site" false "" "$(conf "$site" db_type | sed 's/^$/mariadb/')" \
        "refused: the database of ${unsafe% } starts with drill_, which the drill account can reach; no drill runs on this bench"
    done
    echo "drill: refusing to run: the database of ${unsafe% } starts with drill_, which the drill account can reach" >&2
    return 1
  fi
  for site in $sites; do
    bash "${BASH_SOURCE[0]}" --site "$site" || failed+=("$site")
  done
  if [ "${#failed[@]}" -gt 0 ]; then
    echo "drill: failed for ${failed[*]} (drill.sh status shows each error)" >&2
    return 1
  fi
}

case "${1:-}" in
  status) print_status ;;
  --site) drill_one "$2" ;;
  "") drill_all ;;
  *) echo "usage: drill.sh [status]" >&2; exit 2 ;;
esac
