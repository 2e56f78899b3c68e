import { StackConfig } from "../../config/load";
import { JobParams, JobSpec, ProcessModel } from "./types";
import { SOCKETIO_PORT } from "../layout";
import { ADMIN_SECRET, DB_SECRET, Endpoints, job, jobParams, REDIS_SECRET } from "./processes";
import {
    backupScript,
    clearCacheScript,
    configuratorScript,
    maintenanceOffScript,
    maintenanceOnScript,
    migrateScript,
    restoreScript,
    siteScript,
} from "./jobScripts";
import { customQueues } from "./workers";

/**
 * The run-once steps of a deploy, in order: configurator → pre-upgrade backup → maintenance on
 * (→ restore) → migrate → one site after the other → clear cache; and maintenance off once the
 * application processes are up again.
 */

/** Site names are unique lowercase hostnames, valid in Docker and Pulumi names as they are. */
function siteJobKey(site: string): string {
    return `site-${site}`;
}

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

/** Backup, maintenance on, the optional restore and the migration, each after the one before. */
function migrationJobs(c: StackConfig, configurator: JobSpec, params: JobParams): JobSpec[] {
    // Always with files, never pruning and pinned (no pruning ever deletes it; backup-cron prunes the others):
    // so no backup setting can make this job, and the maintenance window after it, run without an image
    // change. Setting or changing frappe:restore does start the sequence, so the restore happens inside a
    // maintenance window.
    const backup: JobSpec = {
        ...job({
            key: "pre-upgrade-backup",
            role: "backup",
            description: "back up every site before migrating",
            script: backupScript({ withFiles: true, label: "pre-upgrade-backup", pin: true }),
            after: [configurator],
            params,
        }),
        triggers: c.restore ? [`restore ${c.restore.site} ${c.restore.backup}`] : [],
    };
    const maintenanceOn = job({
        key: "maintenance-on",
        role: "maintenance-on",
        description: "switch maintenance mode on and pause the scheduler",
        script: maintenanceOnScript(),
        after: [backup],
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
                  after: [maintenanceOn],
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
        after: [restore[0] ?? maintenanceOn],
        params,
    });
    return [backup, maintenanceOn, ...restore, migrate];
}

/**
 * One site after the other: concurrent `bench new-site` runs share common_site_config.json and the
 * database server's root session, and a host with many sites should not start them all at once.
 */
function siteJobs(c: StackConfig, e: Endpoints, params: JobParams, first: JobSpec): JobSpec[] {
    let previous = first;
    return c.sites.map((s, i) => {
        previous = job({
            key: siteJobKey(s.name),
            role: "create-site",
            description: `create site ${s.name} or install its missing apps`,
            script: siteScript({ site: s.name, apps: s.apps, postgres: e.postgres, setDefault: i === 0 }),
            after: [previous],
            params,
            secretFiles: [DB_SECRET, ADMIN_SECRET],
        });
        return previous;
    });
}

/** The steps between the configurator and the application processes; the last one is `clear-cache`. */
export function upgradeJobs(c: StackConfig, e: Endpoints, configurator: JobSpec): JobSpec[] {
    const params = jobParams(e, c);
    const migration = migrationJobs(c, configurator, params);
    const sites = siteJobs(c, e, params, migration[migration.length - 1]);
    const clearCache = job({
        key: "clear-cache",
        role: "clear-cache",
        description: "clear caches",
        script: clearCacheScript(),
        after: [sites[sites.length - 1] ?? migration[migration.length - 1]],
        params,
    });
    return [...migration, ...sites, clearCache];
}

/** Reopens the sites once every application process in `after` is up. */
export function maintenanceOffJob(c: StackConfig, e: Endpoints, after: readonly ProcessModel[]): JobSpec {
    return job({
        key: "maintenance-off",
        role: "maintenance-off",
        description: "resume the scheduler and switch maintenance mode off",
        script: maintenanceOffScript(),
        after,
        params: jobParams(e, c),
    });
}
