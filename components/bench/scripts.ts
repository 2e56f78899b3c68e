import { SECRETS_DIR } from "./model";

/**
 * Shell scripts of the run-once jobs. Every script starts with `set -euo pipefail` so the first
 * failing command fails the job (frappe_docker's configurator chains with `;` and exits 0 after a
 * failed `bench set-config`). Secrets are read from files inside the container, never from argv or
 * env, so they appear neither in `docker inspect` nor in the logs.
 */

export const DB_ROOT_PASSWORD_FILE = `${SECRETS_DIR}/db-root-password`;
export const ADMIN_PASSWORD_FILE = `${SECRETS_DIR}/admin-password`;
export const REDIS_PASSWORD_FILE = `${SECRETS_DIR}/redis-password`;
export const RESTIC_PASSWORD_FILE = `${SECRETS_DIR}/restic-password`;
export const S3_ACCESS_KEY_ID_FILE = `${SECRETS_DIR}/s3-access-key-id`;
export const S3_SECRET_ACCESS_KEY_FILE = `${SECRETS_DIR}/s3-secret-access-key`;

const STRICT = "set -euo pipefail";

/** Single-quotes a value for bash. Site and app names are validated, this is defence in depth. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Lists existing sites: directories of `sites/` that hold a site_config.json. */
const LIST_SITES = `find sites -mindepth 2 -maxdepth 2 -name site_config.json -printf '%h\\n' | sed 's#^sites/##' | sort`;

export interface ConfiguratorScriptInput {
    readonly postgres: boolean;
    /** External Redis needs a password (from the secret file): it goes into the redis:// URLs. */
    readonly redisPassword: boolean;
    /** Custom queues and their job timeouts, declared so `frappe.enqueue(queue=...)` accepts them. */
    readonly customQueues?: Readonly<Record<string, number>>;
}

/**
 * Writes `sites/apps.txt` (registers the apps baked into this image) and `common_site_config.json`.
 * Values come from the job's env; the final check refuses to succeed with a key left empty.
 */
export function configuratorScript(input: ConfiguratorScriptInput): string {
    const lines = [
        STRICT,
        "ls -1 apps > sites/apps.txt",
        'bench set-config -g db_host "$DB_HOST"',
        'bench set-config -gp db_port "$DB_PORT"',
        ...(input.redisPassword
            ? [
                  // Frappe takes Redis credentials in the URL (redis://:password@host:port): written URL-encoded,
                  // all three keys in one step, and the password read from its file, never on a command line.
                  `env/bin/python -c 'import json,os,sys,urllib.parse; p="sites/common_site_config.json"; c=json.load(open(p)); pw=urllib.parse.quote(open(sys.argv[1]).read(), safe=""); q="redis://:" + pw + "@" + os.environ["REDIS_QUEUE"]; c.update(redis_cache="redis://:" + pw + "@" + os.environ["REDIS_CACHE"], redis_queue=q, redis_socketio=q); json.dump(c, open(p,"w"), indent=1, sort_keys=True)' ${REDIS_PASSWORD_FILE}`,
              ]
            : [
                  'bench set-config -g redis_cache "redis://$REDIS_CACHE"',
                  'bench set-config -g redis_queue "redis://$REDIS_QUEUE"',
                  'bench set-config -g redis_socketio "redis://$REDIS_QUEUE"',
              ]),
        'bench set-config -gp socketio_port "$SOCKETIO_PORT"',
        // v16 images render PDFs with chromium; older images don't ship it, and the key must not point nowhere.
        "if [ -x /usr/bin/chromium-headless-shell ]; then bench set-config -g chromium_path /usr/bin/chromium-headless-shell; fi",
    ];
    // Always written (`{}` without custom queues): a queue left declared with no worker would keep
    // accepting jobs nobody runs, and ready-for-migration would wait for them at every upgrade.
    const custom = input.customQueues ?? {};
    const workers = Object.fromEntries(
        Object.keys(custom)
            .sort()
            .map((q) => [q, { timeout: custom[q] }]),
    );
    lines.push(`bench set-config -gp workers ${shellQuote(JSON.stringify(workers))}`);
    if (input.postgres) {
        // `bench new-site --db-type postgres` reads the superuser from common_site_config; frappe_docker's
        // configurator never writes it. The password goes in via Python so it never sits on a command line.
        lines.push(
            'bench set-config -g root_login "$DB_ROOT_USER"',
            `env/bin/python -c 'import json,sys; p="sites/common_site_config.json"; c=json.load(open(p)); c["root_password"]=open(sys.argv[1]).read(); json.dump(c, open(p,"w"), indent=1, sort_keys=True)' ${DB_ROOT_PASSWORD_FILE}`,
        );
    }
    const required = ["db_host", "db_port", "redis_cache", "redis_queue", "socketio_port"];
    if (input.postgres) {
        required.push("root_login", "root_password");
    }
    lines.push(
        `for key in ${required.join(" ")}; do v=$(jq -r ".$key // empty" sites/common_site_config.json); if [ -z "$v" ]; then echo "configurator: $key is empty in common_site_config.json" >&2; exit 1; fi; done`,
        'echo "configurator: apps $(paste -sd, sites/apps.txt); common_site_config.json written"',
    );
    return lines.join("\n");
}

/** `bench --site all <cmd>` only when at least one site exists (bench errors on an empty bench). */
function forAllSites(description: string, commands: readonly string[]): string {
    return [
        STRICT,
        `sites=$(${LIST_SITES})`,
        `if [ -z "$sites" ]; then echo "${description}: no sites yet, nothing to do"; exit 0; fi`,
        ...commands,
    ].join("\n");
}

export interface BackupScriptInput {
    readonly withFiles: boolean;
    /** Backups of each site to keep on the sites volume (older ones are deleted after a good backup); unset: keep all. */
    readonly keepLast?: number;
    readonly label: string;
    /** A backup (timestamp) pruning must never delete: the one `frappe:restore` names. */
    readonly protect?: string;
}

/**
 * Backs up every site and proves it: each site must have a database dump newer than the start of
 * this run, otherwise the job fails and nothing after it (the migration) runs.
 */
export function backupScript(input: BackupScriptInput): string {
    const files = input.withFiles ? " --with-files" : "";
    return forAllSites(input.label, [
        "marker=$(mktemp)",
        `bench --site all backup${files}`,
        "for s in $sites; do",
        // A command substitution, not `| grep -q`: under pipefail an early-exiting grep can fail find.
        '  if [ -z "$(find "sites/$s/private/backups" -maxdepth 1 -name "*-database.sql.gz" -newer "$marker")" ]; then',
        `    echo "${input.label}: no new database backup for $s; refusing to continue" >&2; exit 1`,
        "  fi",
        ...(input.keepLast === undefined
            ? []
            : [
                  // Keep the newest N dumps (and the files archives of the same runs) per site.
                  `  ls -1t "sites/$s/private/backups/"*-database.sql.gz | tail -n +${input.keepLast + 1} | while read -r old; do`,
                  `    stamp=$(basename "$old" | cut -d- -f1); ${input.protect ? `[ "$stamp" = ${shellQuote(input.protect)} ] && continue; ` : ""}rm -f "sites/$s/private/backups/$stamp"-*`,
                  "  done",
              ]),
        "done",
        `echo "${input.label}: backed up $(echo $sites | wc -w) site(s)"`,
    ]);
}

/**
 * `set-maintenance-mode` and `scheduler` act on the first site of `--site all` only (they read one
 * site from the context), so they run once per site.
 */
function eachSite(commands: string): string {
    return `for s in $sites; do ${commands}; done`;
}

/**
 * Waits until a site has no queued or running background jobs (`bench ready-for-migration`, Frappe
 * 14+), so the old workers are not half-way through a job when the schema changes under them.
 * Bounded: a stuck job fails the step instead of hanging the deploy.
 */
export const DRAIN_ATTEMPTS = 60;
export const DRAIN_INTERVAL_SECONDS = 10;

function drainJobs(): string {
    return [
        "for s in $sites; do",
        '  if bench --site "$s" ready-for-migration --help > /dev/null 2>&1; then',
        "    n=0",
        '    until bench --site "$s" ready-for-migration; do',
        "      n=$((n + 1))",
        `      if [ "$n" -ge ${DRAIN_ATTEMPTS} ]; then echo "maintenance-on: background jobs of $s still pending after ${DRAIN_ATTEMPTS} checks ${DRAIN_INTERVAL_SECONDS} s apart; let them finish (or drop them: bench --site $s purge-jobs) and run pulumi up again" >&2; exit 1; fi`,
        `      sleep ${DRAIN_INTERVAL_SECONDS}`,
        "    done",
        "  fi",
        "done",
    ].join("\n");
}

export function maintenanceOnScript(): string {
    return forAllSites("maintenance-on", [
        eachSite('bench --site "$s" set-maintenance-mode on; bench --site "$s" scheduler pause'),
        drainJobs(),
        'echo "maintenance-on: maintenance mode on, scheduler paused for: $(echo $sites)"',
    ]);
}

export function migrateScript(): string {
    return forAllSites("migrate", [
        "bench --site all migrate",
        // Frappe may lift maintenance mode when a migration ends; the old backend still serves until the
        // new one is healthy, so keep the sites closed until the maintenance-off job.
        eachSite('bench --site "$s" set-maintenance-mode on'),
        'echo "migrate: migrated $(echo $sites)"',
    ]);
}

export function clearCacheScript(): string {
    return forAllSites("clear-cache", [
        "bench --site all clear-cache",
        "bench --site all clear-website-cache",
        'echo "clear-cache: caches cleared"',
    ]);
}

export function maintenanceOffScript(): string {
    return forAllSites("maintenance-off", [
        eachSite('bench --site "$s" scheduler resume; bench --site "$s" set-maintenance-mode off'),
        'echo "maintenance-off: sites open again: $(echo $sites)"',
    ]);
}

export interface SiteScriptInput {
    readonly site: string;
    readonly apps: readonly string[];
    readonly postgres: boolean;
    readonly setDefault: boolean;
}

/**
 * Creates the site when it does not exist, otherwise installs the apps of its list that are missing.
 * Never drops or re-creates an existing site: the guard is the site's config file, as in pwd.yml.
 * bench has no password-file flags, so the passwords are expanded from the secret files when the
 * command runs: they exist on bench's argv inside this job container only, never in Docker's
 * configuration, Pulumi's state or the job's output.
 */
export function siteScript(input: SiteScriptInput): string {
    const site = shellQuote(input.site);
    const installApps = input.apps.map((a) => ` --install-app ${shellQuote(a)}`).join("");
    const dbFlags = input.postgres
        ? ' --db-type postgres --db-root-username "$DB_ROOT_USER"'
        : ' --mariadb-user-host-login-scope=% --db-root-username "$DB_ROOT_USER"';
    const appList = input.apps.map(shellQuote).join(" ");
    return [
        STRICT,
        `site=${site}`,
        'if [ ! -f "sites/$site/site_config.json" ]; then',
        '  if [ -d "sites/$site" ]; then echo "create-site: sites/$site exists without site_config.json; inspect it by hand" >&2; exit 1; fi',
        '  echo "create-site: creating $site"',
        `  bench new-site "$site"${dbFlags} --db-root-password "$(cat ${DB_ROOT_PASSWORD_FILE})" --admin-password "$(cat ${ADMIN_PASSWORD_FILE})"${installApps}${input.setDefault ? " --set-default" : ""}`,
        "else",
        '  echo "create-site: $site exists; leaving it as it is"',
        "fi",
        `for app in ${appList}; do`,
        // First column of list-apps is the app name in every Frappe version (later ones add version columns).
        '  if ! bench --site "$site" list-apps | awk \'{print $1}\' | grep -x "$app" > /dev/null; then',
        '    echo "create-site: installing $app on $site"',
        '    bench --site "$site" install-app "$app"',
        "  fi",
        "done",
    ].join("\n");
}

export interface RestoreScriptInput {
    readonly site: string;
    readonly backup: string;
    readonly withFiles: boolean;
}

/**
 * Restores a named backup (by its timestamp) into a site, once: a marker file records the restore,
 * so the job running again (a new image, a config change) never restores the old data over newer
 * data. It runs inside the maintenance window, right after pre-upgrade-backup took the safety backup
 * (setting frappe:restore starts the sequence); the migrate job after it brings the restored data
 * to the deployed code, maintenance-off reopens the site.
 */
export function restoreScript(input: RestoreScriptInput): string {
    const site = shellQuote(input.site);
    const stamp = shellQuote(input.backup);
    const files = input.withFiles
        ? [
              'pub=$(ls -1 "$dir/$stamp"-*-files.tar 2>/dev/null | grep -v private-files | head -n1 || true)',
              'priv=$(ls -1 "$dir/$stamp"-*-private-files.tar 2>/dev/null | head -n1 || true)',
              'if [ -z "$pub" ] || [ -z "$priv" ]; then echo "restore: files archives of $stamp missing in $dir" >&2; exit 1; fi',
              'extra=(--with-public-files "$pub" --with-private-files "$priv")',
          ]
        : ["extra=()"];
    return [
        STRICT,
        `site=${site}`,
        `stamp=${stamp}`,
        'dir="sites/$site/private/backups"',
        'marker="sites/$site/private/.restored-$stamp"',
        'if [ -f "$marker" ]; then echo "restore: $stamp was restored into $site on $(cat "$marker"); not again (remove frappe:restore)"; exit 0; fi',
        'if [ ! -f "sites/$site/site_config.json" ]; then echo "restore: site $site does not exist (restore the sites volume first, see README)" >&2; exit 1; fi',
        'db=$(ls -1 "$dir/$stamp"-*-database.sql.gz 2>/dev/null | head -n1 || true)',
        'if [ -z "$db" ]; then echo "restore: no database backup $stamp for $site in $dir" >&2; ls -1 "$dir" >&2 || true; exit 1; fi',
        ...files,
        // --force below skips bench's own dump check (and its downgrade prompt), so check the dump here.
        'if ! (set +o pipefail; gzip -cd "$db" | grep -q "tabDefaultValue"); then echo "restore: $db does not look like a Frappe database dump" >&2; exit 1; fi',
        'bench --site "$site" set-maintenance-mode on',
        // --force: a backup taken by a newer image (the pre-upgrade backup of a failed upgrade) makes bench
        // ask before restoring it with an older one, and a job has no terminal to answer on.
        `bench --site "$site" restore "$db" "\${extra[@]}" --force --db-root-username "$DB_ROOT_USER" --db-root-password "$(cat ${DB_ROOT_PASSWORD_FILE})"`,
        'date -u +%Y-%m-%dT%H:%M:%SZ > "$marker"',
        'echo "restore: $site restored from $stamp"',
    ].join("\n");
}
