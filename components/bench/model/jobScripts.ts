import { JobScriptFile } from "../scriptFiles";
import { JobParams } from "./types";

/**
 * What each run-once job runs: a script file of `components/bench/scripts/` and the parameters it
 * reads from its environment, typed (the job runner spells them as the scripts read them: see
 * components/jobs/params.ts). Every script runs in bash strict mode (errexit, nounset, pipefail), so
 * the first failing command fails the job. Secrets are read from files inside the container, never from argv or env, so they
 * appear neither in `docker inspect` nor in the logs.
 */

/** A job's script file and the parameters it reads from its environment. */
export interface JobScript {
    readonly file: JobScriptFile;
    readonly params: JobParams;
}

export interface ConfiguratorScriptInput {
    readonly postgres: boolean;
    /** External Redis needs a password (from the secret file): it goes into the redis:// URLs. */
    readonly redisPassword: boolean;
    /** Custom queues and their job timeouts, declared so `frappe.enqueue(queue=...)` accepts them. */
    readonly customQueues?: Readonly<Record<string, number>>;
}

/** Writes `sites/apps.txt` and `common_site_config.json` (endpoints come from the job's other parameters). */
export function configuratorScript(input: ConfiguratorScriptInput): JobScript {
    const custom = input.customQueues ?? {};
    const workers = Object.fromEntries(
        Object.keys(custom)
            .sort()
            .map((q) => [q, { timeout: custom[q] }]),
    );
    return {
        file: "configurator.sh",
        params: {
            DB_TYPE: input.postgres ? "postgres" : "mariadb",
            REDIS_AUTH: input.redisPassword,
            WORKERS_JSON: workers,
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
    /** This run's backups are never pruned, by this run or any later one (the pre-upgrade backup). */
    readonly pin?: boolean;
}

/** Backs up every site and proves a fresh dump exists for each, optionally pruning old backups. */
export function backupScript(input: BackupScriptInput): JobScript {
    return {
        file: "backup.sh",
        params: {
            BACKUP_LABEL: input.label,
            BACKUP_WITH_FILES: input.withFiles,
            ...(input.keepLast === undefined ? {} : { BACKUP_KEEP_LAST: input.keepLast }),
            ...(input.protect === undefined ? {} : { BACKUP_PROTECT: input.protect }),
            ...(input.pin === true ? { BACKUP_PIN: true } : {}),
        },
    };
}

export function maintenanceOnScript(): JobScript {
    return { file: "maintenance-on.sh", params: {} };
}

export function migrateScript(): JobScript {
    return { file: "migrate.sh", params: {} };
}

export function clearCacheScript(): JobScript {
    return { file: "clear-cache.sh", params: {} };
}

export function maintenanceOffScript(): JobScript {
    return { file: "maintenance-off.sh", params: {} };
}

export interface SitesScriptInput {
    readonly sites: readonly { readonly name: string; readonly apps: readonly string[] }[];
    readonly postgres: boolean;
    /** At most this many sites are worked on at once. */
    readonly parallel: number;
}

/**
 * Creates the sites that do not exist and installs newly listed apps (backing up that site first),
 * each site on its own; never drops a site. The first listed site becomes the default when created.
 */
export function sitesScript(input: SitesScriptInput): JobScript {
    return {
        file: "sites.sh",
        params: {
            SITES: input.sites.map((s) => `${s.name}:${s.apps.join(",")}`),
            DEFAULT_SITE: input.sites[0]?.name ?? "",
            SITES_PARALLEL: input.parallel,
            DB_TYPE: input.postgres ? "postgres" : "mariadb",
        },
    };
}

/** Closes the sites and backs them up (its helpers maintenance-on.sh and backup.sh), before a database server change. */
export function dbUpgradeScript(): JobScript {
    return {
        file: "db-upgrade.sh",
        // Pinned like the pre-upgrade backup: the way back from a server change restores it.
        params: { BACKUP_LABEL: "pre-db-upgrade-backup", BACKUP_WITH_FILES: true, BACKUP_PIN: true },
    };
}

export interface DrillAccountScriptInput {
    readonly postgres: boolean;
    readonly dbHost: string;
    readonly dbPort: number;
    /** The account's name (drillAccount in backupCron.ts). */
    readonly user: string;
}

/** Creates the restore-drill account: it can create, fill and drop drill_* databases only. */
export function drillAccountScript(input: DrillAccountScriptInput): JobScript {
    return {
        file: "drill-account.sh",
        params: {
            DB_TYPE: input.postgres ? "postgres" : "mariadb",
            DB_HOST: input.dbHost,
            DB_PORT: input.dbPort,
            DRILL_DB_USER: input.user,
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
        params: { SITE: input.site, RESTORE_BACKUP: input.backup, RESTORE_WITH_FILES: input.withFiles },
    };
}
