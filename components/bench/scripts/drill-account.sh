#!/usr/bin/env bash
# Job: create the restore-drill database account
# The account backup-cron's restore drills (drill.sh) connect with: it can create, fill and drop
# databases whose name starts with drill_ and nothing else, so a drill can never touch a site's
# database (Frappe names those _<hash>; drill.sh refuses a site whose database name starts with drill_).
# - MariaDB: CREATE USER ... @'%' with ALL PRIVILEGES ON `drill\_%`.* (database level only: no global
#   privilege, no GRANT OPTION; `\_` is a literal underscore in the pattern).
# - PostgreSQL: a LOGIN role with CREATEDB and nothing else (NOSUPERUSER NOCREATEROLE NOREPLICATION):
#   it owns the databases it creates and can drop only those.
# Created once, its password set again on every run (the secret may have changed).
# Env: DB_TYPE (mariadb|postgres), DB_HOST, DB_PORT, DB_ROOT_USER, DRILL_DB_USER.
# Secrets: db-root-password, drill-db-password (letters and digits only: it is written into SQL).
set -euo pipefail
secrets=${SECRETS_DIR:-/run/secrets}
user=${DRILL_DB_USER:?DRILL_DB_USER is not set}
password=$(cat "$secrets/drill-db-password")
if ! [[ $user =~ ^[a-z][a-z0-9_]{0,30}$ ]]; then
  echo "drill-account: account name $user must be lower-case letters, digits and _ (at most 31)" >&2
  exit 1
fi
if ! [[ $password =~ ^[A-Za-z0-9]{16,}$ ]]; then
  echo "drill-account: the drill account's password must be at least 16 letters and digits" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${DB_TYPE:-mariadb}" = postgres ]; then
  # .pgpass fields escape \ and : with a backslash.
  printf '%s:%s:*:%s:%s\n' "$DB_HOST" "$DB_PORT" "$DB_ROOT_USER" \
    "$(sed 's/\\/\\\\/g; s/:/\\:/g' "$secrets/db-root-password")" > "$tmp/pgpass"
  chmod 600 "$tmp/pgpass"
  PGPASSFILE="$tmp/pgpass" psql -X -q -v ON_ERROR_STOP=1 -h "$DB_HOST" -p "$DB_PORT" -U "$DB_ROOT_USER" -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$user') THEN CREATE ROLE "$user"; END IF;
END \$\$;
ALTER ROLE "$user" WITH LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '$password';
SQL
else
  client=$(command -v mariadb || command -v mysql)
  # Option file values in double quotes escape \ and " with a backslash.
  printf '[client]\nuser=%s\npassword="%s"\nhost=%s\nport=%s\n' \
    "$DB_ROOT_USER" "$(sed 's/\\/\\\\/g; s/"/\\"/g' "$secrets/db-root-password")" "$DB_HOST" "$DB_PORT" > "$tmp/my.cnf"
  chmod 600 "$tmp/my.cnf"
  "$client" --defaults-extra-file="$tmp/my.cnf" <<SQL
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';
ALTER USER '$user'@'%' IDENTIFIED BY '$password';
REVOKE ALL PRIVILEGES, GRANT OPTION FROM '$user'@'%';
GRANT ALL PRIVILEGES ON \`drill\\_%\`.* TO '$user'@'%';
SQL
fi
echo "drill-account: $user can create and drop drill_* databases on ${DB_TYPE:-mariadb} at $DB_HOST:$DB_PORT"
