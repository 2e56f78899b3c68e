import { StackConfig } from "../../config/load";
import {
    BACKUP_CRON_ENTRYPOINT,
    BACKUP_STATUS_FILE,
    backupCronEnv,
    backupCronFiles,
    DRILL_STATUS_FILE,
    DrillInput,
} from "./backupCron";
import { gunicornCommand } from "./gunicorn";
import { ProcessModel, SecretFile, ServiceSpec } from "./types";
import {
    BACKEND_PORT,
    BENCH_DIR,
    DRILL_DB_PASSWORD_FILE,
    SITES_DIR,
    RESTIC_PASSWORD_FILE,
    S3_ACCESS_KEY_ID_FILE,
    S3_SECRET_ACCESS_KEY_FILE,
    SOCKETIO_PORT,
} from "../layout";
import {
    AppOrder,
    Endpoints,
    FRAPPE,
    frappeSecret,
    LOGS,
    pid1Runs,
    service,
    SITES,
    splitHostPort,
    tcpCheck,
} from "./processes";
import { workerServices } from "./workers";

/**
 * The application processes on the Frappe image: backend, websocket, workers and scheduler (all
 * recreated after the configurator ran), and the backup scheduler.
 */

/**
 * The backend is healthy when Frappe answers the ping of a site that exists now: the first, by name,
 * with a site_config.json and no locks/installing.lock (frappe/installer.py _new_site holds that lock
 * while it creates the site's database and installs its apps, and leaves it after a failed install).
 * 503 counts as alive: during an upgrade the sites are in maintenance mode until this very backend is
 * healthy, and Frappe only answers 503 after loading the site and reaching its database. With no such
 * site (a first deploy: sites are created once the app processes are healthy) gunicorn's port must
 * answer, frappe_docker's own check for the backend (docs/04-operations/01-site-operations.md). The
 * command names no site, so adding sites never changes it (nor replaces the container).
 */
const PING_A_SITE = [
    `site=$(cd ${SITES_DIR} && for d in */; do d=\${d%/}; if [ -f "$d/site_config.json" ] && [ ! -e "$d/locks/installing.lock" ]; then echo "$d"; break; fi; done)`,
    `if [ -z "$site" ]; then ${tcpCheck("127.0.0.1", BACKEND_PORT)}; else code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $site" http://127.0.0.1:${BACKEND_PORT}/api/method/ping); [ "$code" = 200 ] || [ "$code" = 503 ]; fi`,
].join("; ");

function backendService(c: StackConfig, o: AppOrder): ServiceSpec {
    return service(
        {
            key: "backend",
            role: "backend",
            image: FRAPPE,
            aliases: ["backend"],
            env: {
                GUNICORN_WORKERS: String(c.gunicorn.workers),
                GUNICORN_THREADS: String(c.gunicorn.threads),
                GUNICORN_TIMEOUT: String(c.gunicorn.timeout),
            },
            mounts: [SITES, LOGS],
            healthcheck: {
                tests: ["CMD-SHELL", PING_A_SITE],
                intervalSeconds: 10,
                timeoutSeconds: 5,
                startPeriodSeconds: 60,
                retries: 5,
            },
            after: o.after,
        },
        {
            // Arguments, not only GUNICORN_* env: older stock images ignore the env (gunicorn.ts).
            command: gunicornCommand(c.gunicorn),
            stopGraceSeconds: 30,
            waitHealthy: true,
            healthTimeoutSeconds: 300,
            restartAfter: o.configurator,
        },
    );
}

function websocketService(o: AppOrder): ServiceSpec {
    return service(
        {
            key: "websocket",
            role: "websocket",
            image: FRAPPE,
            aliases: ["websocket"],
            env: {},
            mounts: [SITES, LOGS],
            healthcheck: {
                tests: ["CMD-SHELL", tcpCheck("127.0.0.1", SOCKETIO_PORT)],
                intervalSeconds: 10,
                timeoutSeconds: 5,
                startPeriodSeconds: 30,
                retries: 5,
            },
            after: o.after,
        },
        {
            command: ["node", `${BENCH_DIR}/apps/frappe/socketio.js`],
            waitHealthy: true,
            restartAfter: o.configurator,
        },
    );
}

function schedulerService(e: Endpoints, o: AppOrder): ServiceSpec {
    const [queueHost, queuePort] = splitHostPort(e.redisQueue);
    return service(
        {
            key: "scheduler",
            role: "scheduler",
            image: FRAPPE,
            aliases: ["scheduler"],
            env: {},
            mounts: [SITES, LOGS],
            healthcheck: {
                tests: ["CMD-SHELL", `${pid1Runs("schedule")} && ${tcpCheck(queueHost, queuePort)}`],
                intervalSeconds: 30,
                timeoutSeconds: 10,
                startPeriodSeconds: 30,
                retries: 3,
            },
            after: o.after,
        },
        { command: ["bench", "schedule"], stopGraceSeconds: 30, restartAfter: o.configurator },
    );
}

/** Backend, websocket, the workers and the scheduler, all after `o.after` (the last job). */
export function appServices(c: StackConfig, e: Endpoints, o: AppOrder): ServiceSpec[] {
    return [backendService(c, o), websocketService(o), ...workerServices(c, e, o), schedulerService(e, o)];
}

function offsiteSecrets(c: StackConfig): SecretFile[] {
    return c.backup.offsite
        ? [
              frappeSecret("resticPassword", RESTIC_PASSWORD_FILE),
              frappeSecret("s3AccessKeyId", S3_ACCESS_KEY_ID_FILE),
              frappeSecret("s3SecretAccessKey", S3_SECRET_ACCESS_KEY_FILE),
          ]
        : [];
}

/** A status file of the scheduler's says the last run of its kind did not fail (or there was none yet). */
function lastRunOk(file: string): string {
    return `{ [ ! -f ${file} ] || grep -q '^ok' ${file}; }`;
}

/**
 * Scheduled backups in the bench image, without the Docker socket; offsite with restic when configured;
 * restore drills on their own schedule when `drill` is given (after `after`, which then holds the job
 * that creates the drill account). A failed backup, copy or drill turns the container unhealthy until
 * the next run of its kind succeeds.
 */
export function backupCronService(c: StackConfig, after: readonly ProcessModel[], drill?: DrillInput): ServiceSpec {
    const offsite = c.backup.offsite;
    const health = [BACKUP_STATUS_FILE, ...(drill ? [DRILL_STATUS_FILE] : [])].map(lastRunOk).join(" && ");
    return service(
        {
            key: "backup-cron",
            role: "backup-cron",
            image: FRAPPE,
            aliases: ["backup-cron"],
            env: backupCronEnv({
                schedule: c.backup.schedule,
                stack: c.stack,
                withFiles: c.backup.withFiles,
                keepLast: c.backup.keepLast,
                offsite,
                protect: c.restore?.backup,
                drill,
            }),
            mounts: [SITES, LOGS],
            healthcheck: {
                tests: ["CMD-SHELL", `${pid1Runs("scheduler.py")} && ${health}`],
                intervalSeconds: 60,
                timeoutSeconds: 5,
                startPeriodSeconds: 10,
                retries: 1,
            },
            after,
        },
        {
            entrypoint: BACKUP_CRON_ENTRYPOINT,
            files: backupCronFiles(drill !== undefined),
            secretFiles: [
                ...offsiteSecrets(c),
                ...(drill ? [frappeSecret("drillDbPassword", DRILL_DB_PASSWORD_FILE)] : []),
            ],
            // Let a running backup finish instead of leaving a half-written archive.
            stopGraceSeconds: 600,
        },
    );
}
