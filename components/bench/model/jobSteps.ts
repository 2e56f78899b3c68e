import { StackConfig } from "../../config/load";
import { DB_DEFAULTS } from "../../config/schema";
import { JobImage, JobParams, JobSpec, ProcessModel } from "./types";
import { DRILL_DB_PASSWORD_FILE } from "../layout";
import { DrillInput } from "./backupCron";
import { SOCKETIO_PORT } from "../layout";
import { ADMIN_SECRET, DB_SECRET, Endpoints, frappeSecret, job, jobParams, REDIS_SECRET } from "./processes";
import {
    backupScript,
    clearCacheScript,
    configuratorScript,
    dbUpgradeScript,
    drillAccountScript,
    maintenanceOffScript,
    maintenanceOnScript,
    migrateScript,
    restoreScript,
    sitesScript,
} from "./jobScripts";
import { customQueues } from "./workers";

/**
 * The run-once steps of a deploy. A new image opens the maintenance window: configurator →
 * maintenance on (sites closed, background jobs drained) → pre-upgrade backup (nothing writes any
 * more) → (restore) → migrate (`bench --site all migrate`, every site) → clear cache; the application
 * processes are replaced, and maintenance off reopens the sites once all of them are healthy. The same
 * jobs run for 1 or 100 sites. Site work (new sites, newly listed apps) runs after that, outside any
 * window, for the sites' own configuration only. A new database server image is guarded by a job
 * before the server: it closes the sites and backs them up, and maintenance off reopens them.
 */

/** Jobs that run the image the backend runs when they start: a new image alone never runs them. */
const BACKEND_IMAGE: JobImage = { kind: "running", process: "backend" };

/** The key of the in-stack database server's process (dataServices). */
const DB_PROCESS = "db";

/** Writes apps.txt and common_site_config.json; runs after the data services it configures. */
export function configuratorJob(c: StackConfig, e: Endpoints, after: readonly ProcessModel[]): JobSpec {
    const redisAuth = c.secretsSet.includes("redisPassword");
    return {
        ...job({
            key: "configurator",
            role: "configurator",
            description: "write apps.txt and common_site_config.json",
            script: configuratorScript({
                postgres: e.postgres,
                redisPassword: redisAuth,
                customQueues: customQueues(c),
            }),
            after,
            params: {
                ...jobParams(e, c),
                DB_HOST: e.dbHost,
                DB_PORT: e.dbPort,
                REDIS_CACHE: e.redisCache,
                REDIS_QUEUE: e.redisQueue,
                SOCKETIO_PORT,
            },
            // Postgres' superuser password is not among them: new-site and restore get it as flags.
            secretFiles: redisAuth ? [REDIS_SECRET] : [],
        }),
        // Its changes reach the running processes by recreating them (restartAfter), not by a maintenance window.
        chainsLaterJobs: false,
    };
}

/**
 * Runs before the in-stack database server (none for an external one) and only when its image
 * changes: the guard (db-guard.sh, on the machine running Pulumi) refuses a change the data files could
 * not take, and skips a first deploy; otherwise the sites are closed and backed up with the code they
 * run now. Its run makes maintenance off run, and nothing else: no migration is needed for a new server.
 */
export function dbUpgradeJob(c: StackConfig, e: Endpoints): JobSpec | undefined {
    if (c.db.type === "external") {
        return undefined;
    }
    return {
        ...job({
            key: "db-upgrade",
            role: "backup",
            description: "close the sites and back them up before the database server changes",
            script: dbUpgradeScript(),
            after: [],
            params: jobParams(e, c),
            image: BACKEND_IMAGE,
            helpers: ["maintenance-on.sh", "backup.sh", "maintenance-off.sh"],
        }),
        chainsLaterJobs: false,
        guardsServer: { process: DB_PROCESS, engine: c.db.type, image: c.db.image ?? DB_DEFAULTS[c.db.type].image },
    };
}

/**
 * Maintenance on, the backup, the optional restore and the migration, each after the one before: the
 * backup is taken once the sites are closed and their background jobs drained, so it holds every
 * committed write.
 */
function migrationJobs(c: StackConfig, configurator: JobSpec, params: JobParams): JobSpec[] {
    // Setting or changing frappe:restore opens the window, so the restore happens inside it.
    const maintenanceOn: JobSpec = {
        ...job({
            key: "maintenance-on",
            role: "maintenance-on",
            description: "switch maintenance mode on and pause the scheduler",
            script: maintenanceOnScript(),
            after: [configurator],
            params,
        }),
        triggers: c.restore ? [`restore ${c.restore.site} ${c.restore.backup}`] : [],
    };
    // Always with files, never pruning and pinned (no pruning ever deletes it; backup-cron prunes the
    // others): so no backup setting can make this job run, or keep the window open longer, without an
    // image change.
    const backup = job({
        key: "pre-upgrade-backup",
        role: "backup",
        description: "back up every site before migrating",
        script: backupScript({ withFiles: true, label: "pre-upgrade-backup", pin: true }),
        after: [maintenanceOn],
        params,
    });
    // A restore goes in before the migration, so the image being deployed migrates the restored data
    // (a rollback: restore the pre-upgrade backup, then the older image's migrate runs on it).
    const restore = c.restore
        ? [
              job({
                  key: "restore",
                  role: "restore",
                  description: `restore backup ${c.restore.backup} into ${c.restore.site}`,
                  script: restoreScript(c.restore),
                  after: [backup],
                  params,
                  secretFiles: [DB_SECRET],
              }),
          ]
        : [];
    const migrate = job({
        key: "migrate",
        role: "migrate",
        description: "migrate every site with the new image",
        script: migrateScript(),
        after: [restore[0] ?? backup],
        params,
    });
    return [maintenanceOn, backup, ...restore, migrate];
}

/** The steps between the configurator and the application processes; the last one is `clear-cache`. */
export function upgradeJobs(c: StackConfig, e: Endpoints, configurator: JobSpec): JobSpec[] {
    const migration = migrationJobs(c, configurator, jobParams(e, c));
    const clearCache = job({
        key: "clear-cache",
        role: "clear-cache",
        description: "clear caches",
        script: clearCacheScript(),
        after: [migration[migration.length - 1]],
        params: jobParams(e, c),
    });
    return [...migration, clearCache];
}

/**
 * Reopens the sites once every application process in `after` is up; it runs whenever a job before it
 * closed them, the database guard included.
 */
export function maintenanceOffJob(
    c: StackConfig,
    e: Endpoints,
    after: readonly ProcessModel[],
    guard: JobSpec | undefined,
): JobSpec {
    return {
        ...job({
            key: "maintenance-off",
            role: "maintenance-off",
            description: "resume the scheduler and switch maintenance mode off",
            script: maintenanceOffScript(),
            after,
            params: jobParams(e, c),
        }),
        rerunAfter: guard === undefined ? [] : [guard.key],
    };
}

/**
 * New sites and newly listed apps, after the sites reopened and every app process is healthy, outside
 * any window: one job for every site, whose inputs are the sites' configuration and no image, so it
 * runs when a site or an app is added (and after a restore), never for a new image. Inside, each site
 * is worked on by itself, at most `frappe:sitesParallel` at once (sites.sh).
 */
export function sitesJob(c: StackConfig, e: Endpoints, after: JobSpec): JobSpec {
    return {
        ...job({
            key: "sites",
            role: "create-site",
            description: "create new sites and install newly listed apps",
            script: sitesScript({ sites: c.sites, postgres: e.postgres, parallel: c.sitesParallel }),
            after: [after],
            params: jobParams(e, c),
            secretFiles: [DB_SECRET, ADMIN_SECRET],
            image: BACKEND_IMAGE,
            helpers: ["backup.sh"],
        }),
        chainsLaterJobs: false,
        followsChain: false,
        // A restored database has the apps of its backup: its site's apps are checked again.
        triggers: c.restore ? [`restore ${c.restore.site} ${c.restore.backup}`] : [],
    };
}

/**
 * Creates the restore-drill account on the sites' database server (in-stack or external), with the root
 * account: it can create, fill and drop drill_* databases only. After the sites reopened and before
 * backup-cron starts; like the sites job it runs in the running backend's image and outside any window,
 * so it runs when its account, password or server changes, never for a new image.
 */
export function drillAccountJob(
    c: StackConfig,
    e: Endpoints,
    drill: DrillInput,
    after: readonly ProcessModel[],
): JobSpec {
    return {
        ...job({
            key: "drill-account",
            role: "drill-account",
            description: "create the restore-drill database account",
            script: drillAccountScript({ postgres: e.postgres, dbHost: e.dbHost, dbPort: e.dbPort, user: drill.user }),
            after,
            params: jobParams(e, c),
            secretFiles: [DB_SECRET, frappeSecret("drillDbPassword", DRILL_DB_PASSWORD_FILE)],
            image: BACKEND_IMAGE,
        }),
        chainsLaterJobs: false,
        followsChain: false,
    };
}
