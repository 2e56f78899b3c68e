/**
 * Where things are inside the bench's containers, who owns them and which ports the processes listen
 * on: frappe_docker's image layout (frappe/frappe_docker images/production/Containerfile: user
 * `frappe`, uid 1000, bench in /home/frappe/frappe-bench) and the ports its compose.yaml wires. The
 * model, the job runner and both renderers read these from here.
 */

/** Where a Frappe bench lives inside the image. */
export const BENCH_DIR = "/home/frappe/frappe-bench";
export const SITES_DIR = `${BENCH_DIR}/sites`;
export const LOGS_DIR = `${BENCH_DIR}/logs`;
/**
 * Our backups: `bench --site <site> backup --backup-path <BACKUPS_DIR>/<site>`, outside the site's
 * private/backups that Frappe cleans (docs/backups.md); status records in `<BACKUPS_DIR>/.status`.
 * A directory without site_config.json, so Frappe never takes it for a site (frappe.utils.get_sites).
 */
export const BACKUPS_DIR = `${SITES_DIR}/.backups`;
/** Where a dropped site is archived (`bench drop-site --archived-sites-path`): on the sites volume. */
export const ARCHIVED_SITES_DIR = `${SITES_DIR}/.archived`;
/** The bench's virtualenv Python: it has croniter (a Frappe dependency); the image's system Python has not. */
export const BENCH_PYTHON = `${BENCH_DIR}/env/bin/python`;

/** The `frappe` user of the image: every Frappe process and job runs as it. */
export const FRAPPE_UID = 1000;
export const FRAPPE_GID = 1000;
/** root: owner of the database images' secret file, which they read again after dropping privileges. */
export const ROOT_UID = 0;

/** Files holding secrets are mounted here, never passed as env or arguments. */
export const SECRETS_DIR = "/run/secrets";
export const DB_ROOT_PASSWORD_FILE = `${SECRETS_DIR}/db-root-password`;
export const ADMIN_PASSWORD_FILE = `${SECRETS_DIR}/admin-password`;
export const REDIS_PASSWORD_FILE = `${SECRETS_DIR}/redis-password`;
export const RESTIC_PASSWORD_FILE = `${SECRETS_DIR}/restic-password`;
export const S3_ACCESS_KEY_ID_FILE = `${SECRETS_DIR}/s3-access-key-id`;
export const S3_SECRET_ACCESS_KEY_FILE = `${SECRETS_DIR}/s3-secret-access-key`;
/** The restore-drill account's password (drill-account.sh sets it, drill.sh connects with it). */
export const DRILL_DB_PASSWORD_FILE = `${SECRETS_DIR}/drill-db-password`;

/** Gunicorn (the backend). */
export const BACKEND_PORT = 8000;
/** Frappe's socket.io server (the websocket process). */
export const SOCKETIO_PORT = 9000;
/** nginx in the frontend process. */
export const FRONTEND_PORT = 8080;
export const REDIS_PORT = 6379;
/** The in-stack proxy's entrypoints: HTTP, and HTTPS when TLS is on. */
export const PROXY_HTTP_PORT = 80;
export const PROXY_HTTPS_PORT = 443;
/** Where the proxy keeps its ACME account and certificates (the cert-data volume). */
export const CERT_DIR = "/letsencrypt";
