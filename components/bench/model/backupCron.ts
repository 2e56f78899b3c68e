import { StackConfig } from "../../config/load";
import { BENCH_PYTHON } from "../layout";
import { PlainFile } from "./types";
import { readScript } from "../scriptFiles";

/**
 * Scheduled backups without the Docker socket: a small scheduler (backup-scheduler.py, matching the
 * schedule with croniter from Frappe's own virtualenv) runs inside a container of the bench's own
 * image, as the unprivileged frappe user, and calls the same backup script the pre-migration job uses.
 * (frappe_docker's backup-cron override gives Ofelia the Docker socket, which is root on the host.)
 */

const BACKUP_CRON_DIR = "/home/frappe/backup-cron";
const BACKUP_RUN_SCRIPT = `${BACKUP_CRON_DIR}/run-backup.sh`;
const BACKUP_SCHEDULER_SCRIPT = `${BACKUP_CRON_DIR}/scheduler.py`;
/** Result of the last scheduled run; the container turns unhealthy while it says "failed". */
export const BACKUP_STATUS_FILE = "/tmp/backup-cron.status";
/** Result of the last restore drill, likewise (each site's result is in sites/.backups/.status). */
export const DRILL_STATUS_FILE = "/tmp/backup-cron.drill.status";
/** drill.sh inside the container: `docker exec <backup-cron> bash <this> status` shows the last drills. */
export const DRILL_SCRIPT = `${BACKUP_CRON_DIR}/drill.sh`;
/** When restore drills run unless frappe:backup.verify names another time: daily, between two backups. */
export const DEFAULT_DRILL_SCHEDULE = "30 3 * * *";

/**
 * When the restore drills run, or undefined when they do not: frappe:backup.verify (true: the default
 * schedule, a cron expression, false: never); unset, on for the stack named production only.
 */
export function drillSchedule(c: Pick<StackConfig, "stack" | "backup">): string | undefined {
    const verify = c.backup.verify;
    if (verify === undefined) {
        return c.stack === "production" ? DEFAULT_DRILL_SCHEDULE : undefined;
    }
    if (typeof verify === "boolean") {
        return verify ? DEFAULT_DRILL_SCHEDULE : undefined;
    }
    return verify;
}

/**
 * The drill account's name: one per stack, so stacks sharing a database server never reset each
 * other's password (lower-case letters, digits and _, at most 31: what drill-account.sh accepts).
 */
export function drillAccount(stack: string): string {
    return `drill_${stack.toLowerCase().replace(/[^a-z0-9]+/g, "_")}`.slice(0, 31);
}

export interface DrillInput {
    readonly schedule: string;
    readonly user: string;
}

export interface OffsiteInput {
    readonly repository: string;
    readonly keepLast: number;
}

export interface BackupRunInput {
    readonly schedule: string;
    readonly stack: string;
    readonly withFiles: boolean;
    readonly keepLast: number;
    readonly offsite?: OffsiteInput;
    /** A backup (timestamp) pruning must keep: the one `frappe:restore` names. */
    readonly protect?: string;
    readonly drill?: DrillInput;
}

/** The scheduler's entrypoint: it runs the run script at every scheduled time. */
export const BACKUP_CRON_ENTRYPOINT: readonly string[] = [BENCH_PYTHON, BACKUP_SCHEDULER_SCRIPT, BACKUP_RUN_SCRIPT];

/**
 * The files the backup-cron container gets: the scheduler, the run script and the backup script it
 * calls, and the drill script (beside the run script, where the scheduler looks for it) when drills run.
 */
export function backupCronFiles(drills: boolean): PlainFile[] {
    return [
        { path: BACKUP_SCHEDULER_SCRIPT, content: readScript("backup-scheduler.py"), executable: false },
        { path: BACKUP_RUN_SCRIPT, content: readScript("backup-cron-run.sh"), executable: true },
        { path: `${BACKUP_CRON_DIR}/backup.sh`, content: readScript("backup.sh"), executable: true },
        ...(drills ? [{ path: DRILL_SCRIPT, content: readScript("drill.sh"), executable: true }] : []),
    ];
}

/** What one scheduled run does, as the scripts' environment: back up, prune, copy offsite; when drills run, their schedule and account. */
export function backupCronEnv(input: BackupRunInput): Record<string, string> {
    return {
        BACKUP_SCHEDULE: input.schedule,
        BACKUP_STATUS_FILE,
        FRAPPE_STACK: input.stack,
        BACKUP_LABEL: "scheduled-backup",
        BACKUP_WITH_FILES: input.withFiles ? "1" : "0",
        BACKUP_KEEP_LAST: String(input.keepLast),
        ...(input.protect === undefined ? {} : { BACKUP_PROTECT: input.protect }),
        ...(input.offsite
            ? { RESTIC_REPOSITORY: input.offsite.repository, RESTIC_KEEP_LAST: String(input.offsite.keepLast) }
            : {}),
        ...(input.drill
            ? { VERIFY_SCHEDULE: input.drill.schedule, DRILL_STATUS_FILE, DRILL_DB_USER: input.drill.user }
            : {}),
    };
}
