import { SECRETS_DIR } from "./types";
import { ScriptFile } from "../scriptFiles";

/**
 * What each run-once job runs: a script file of `components/bench/scripts/` and the environment
 * that parameterises it. Every script runs in bash strict mode (errexit, nounset, pipefail), so the first failing command
 * fails the job. Secrets are read from files inside the container, never from argv or env, so they
 * appear neither in `docker inspect` nor in the logs.
 */

export const DB_ROOT_PASSWORD_FILE = `${SECRETS_DIR}/db-root-password`;
export const ADMIN_PASSWORD_FILE = `${SECRETS_DIR}/admin-password`;
export const REDIS_PASSWORD_FILE = `${SECRETS_DIR}/redis-password`;
export const RESTIC_PASSWORD_FILE = `${SECRETS_DIR}/restic-password`;
export const S3_ACCESS_KEY_ID_FILE = `${SECRETS_DIR}/s3-access-key-id`;
export const S3_SECRET_ACCESS_KEY_FILE = `${SECRETS_DIR}/s3-secret-access-key`;

/** A job's script file and the parameters it reads from its environment. */
export interface JobScript {
    readonly file: ScriptFile;
    readonly env: Readonly<Record<string, string>>;
}

/**
 * A job runs again when its revision changes, and not when its script's text does: bump a script's
 * number when what it does changes (test/jobScripts.test.ts pins each file's content to remind you),
 * leave it for a reworded message or a reformatted line. `run-job.sh` and `secret-prelude.sh` run
 * in every job: their number is part of every job's revision. `health-gate.sh` runs only in the job
 * that reopens the sites (run-job.sh runs it when GATE_ROLES is set): a change to what it does bumps
 * `maintenance-off.sh`.
 */
export const SCRIPT_REVISIONS: Readonly<Partial<Record<ScriptFile, number>>> = {
    "run-job.sh": 1,
    "secret-prelude.sh": 1,
    "configurator.sh": 1,
    "backup.sh": 1,
    "maintenance-on.sh": 1,
    "migrate.sh": 1,
    "clear-cache.sh": 1,
    "maintenance-off.sh": 1,
    "site.sh": 1,
    "restore.sh": 1,
};

/** The revision a job's command carries: the wrapper's, the prelude's and its own script's. */
export function jobRevision(file: ScriptFile): string {
    const rev = (f: ScriptFile) => {
        const n = SCRIPT_REVISIONS[f];
        if (n === undefined) {
            throw new Error(`${f} has no entry in SCRIPT_REVISIONS (components/bench/model/jobScripts.ts)`);
        }
        return n;
    };
    return `${rev("run-job.sh")}.${rev("secret-prelude.sh")}.${rev(file)}`;
}

const flag = (on: boolean): string => (on ? "1" : "0");

/** Single-quotes a value for sh (the adopted-volumes check still builds its command line with it). */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

export interface ConfiguratorScriptInput {
    readonly postgres: boolean;
    /** External Redis needs a password (from the secret file): it goes into the redis:// URLs. */
    readonly redisPassword: boolean;
    /** Custom queues and their job timeouts, declared so `frappe.enqueue(queue=...)` accepts them. */
    readonly customQueues?: Readonly<Record<string, number>>;
}

/** Writes `sites/apps.txt` and `common_site_config.json` (endpoints come from the job's env). */
export function configuratorScript(input: ConfiguratorScriptInput): JobScript {
    const custom = input.customQueues ?? {};
    const workers = Object.fromEntries(
        Object.keys(custom)
            .sort()
            .map((q) => [q, { timeout: custom[q] }]),
    );
    return {
        file: "configurator.sh",
        env: {
            DB_TYPE: input.postgres ? "postgres" : "mariadb",
            REDIS_AUTH: flag(input.redisPassword),
            WORKERS_JSON: JSON.stringify(workers),
        },
    };
}

export interface BackupScriptInput {
    readonly withFiles: boolean;
    /** Backups of each site to keep on the sites volume (older ones are deleted after a good backup); unset: keep all. */
    readonly keepLast?: number;
    readonly label: string;
    /** A backup (timestamp) pruning must never delete: the one `frappe:restore` names. */
    readonly protect?: string;
}

/** Backs up every site and proves a fresh dump exists for each, optionally pruning old backups. */
export function backupScript(input: BackupScriptInput): JobScript {
    return {
        file: "backup.sh",
        env: {
            BACKUP_LABEL: input.label,
            BACKUP_WITH_FILES: flag(input.withFiles),
            ...(input.keepLast === undefined ? {} : { BACKUP_KEEP_LAST: String(input.keepLast) }),
            ...(input.protect === undefined ? {} : { BACKUP_PROTECT: input.protect }),
        },
    };
}

export function maintenanceOnScript(): JobScript {
    return { file: "maintenance-on.sh", env: {} };
}

export function migrateScript(): JobScript {
    return { file: "migrate.sh", env: {} };
}

export function clearCacheScript(): JobScript {
    return { file: "clear-cache.sh", env: {} };
}

export function maintenanceOffScript(): JobScript {
    return { file: "maintenance-off.sh", env: {} };
}

export interface SiteScriptInput {
    readonly site: string;
    readonly apps: readonly string[];
    readonly postgres: boolean;
    readonly setDefault: boolean;
}

/** Creates the site when it does not exist, otherwise installs its missing apps; never drops a site. */
export function siteScript(input: SiteScriptInput): JobScript {
    return {
        file: "site.sh",
        env: {
            SITE: input.site,
            SITE_APPS: input.apps.join(" "),
            SITE_SET_DEFAULT: flag(input.setDefault),
            DB_TYPE: input.postgres ? "postgres" : "mariadb",
        },
    };
}

export interface RestoreScriptInput {
    readonly site: string;
    readonly backup: string;
    readonly withFiles: boolean;
}

/** Restores a named backup (by its timestamp) into a site, once (a marker file records it). */
export function restoreScript(input: RestoreScriptInput): JobScript {
    return {
        file: "restore.sh",
        env: { SITE: input.site, RESTORE_BACKUP: input.backup, RESTORE_WITH_FILES: flag(input.withFiles) },
    };
}
