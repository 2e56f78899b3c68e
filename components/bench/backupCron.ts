import { backupScript, RESTIC_PASSWORD_FILE, S3_ACCESS_KEY_ID_FILE, S3_SECRET_ACCESS_KEY_FILE } from "./scripts";

/**
 * Scheduled backups without the Docker socket: a small scheduler runs inside a container of the
 * bench's own image, as the unprivileged frappe user, and calls the same backup script the
 * pre-migration job uses. (frappe_docker's backup-cron override gives Ofelia the Docker socket,
 * which is root on the host.) Python is in every Frappe image; cron is not.
 */

export const BACKUP_CRON_DIR = "/home/frappe/backup-cron";
export const BACKUP_RUN_SCRIPT = `${BACKUP_CRON_DIR}/run-backup.sh`;
export const BACKUP_SCHEDULER_SCRIPT = `${BACKUP_CRON_DIR}/scheduler.py`;
/** Result of the last scheduled run; the container turns unhealthy while it says "failed". */
export const BACKUP_STATUS_FILE = "/tmp/backup-cron.status";

export interface OffsiteInput {
    readonly repository: string;
    readonly keepLast: number;
}

export interface BackupRunInput {
    readonly withFiles: boolean;
    readonly keepLast: number;
    readonly offsite?: OffsiteInput;
    /** A backup (timestamp) pruning must keep: the one `frappe:restore` names. */
    readonly protect?: string;
}

/** One scheduled run: back up every site, then copy the sites volume offsite with restic when configured. */
export function backupRunScript(input: BackupRunInput): string {
    const local = backupScript({
        withFiles: input.withFiles,
        keepLast: input.keepLast,
        label: "scheduled-backup",
        protect: input.protect,
    });
    if (!input.offsite) {
        return local;
    }
    // Credentials reach restic's environment from the secret files, in this process only.
    const offsite = [
        `export RESTIC_PASSWORD_FILE=${RESTIC_PASSWORD_FILE}`,
        `export AWS_ACCESS_KEY_ID="$(cat ${S3_ACCESS_KEY_ID_FILE})"`,
        `export AWS_SECRET_ACCESS_KEY="$(cat ${S3_SECRET_ACCESS_KEY_FILE})"`,
        "restic snapshots > /dev/null 2>&1 || restic init",
        'restic backup --tag frappe --tag "$FRAPPE_STACK" --exclude sites/assets sites',
        `restic forget --tag frappe --tag "$FRAPPE_STACK" --group-by paths,tags --keep-last ${input.offsite.keepLast} --prune`,
        'echo "scheduled-backup: offsite copy in $RESTIC_REPOSITORY done"',
    ];
    return `${local}\n${offsite.join("\n")}`;
}

/**
 * A five-field cron scheduler (minute hour day-of-month month day-of-week, Sunday = 0 or 7, lists,
 * ranges and steps; day-of-month and day-of-week OR-ed when both are restricted, as in Vixie cron).
 * Times are the container's clock, UTC unless TZ is set. A failed run is logged, marks the container
 * unhealthy (`docker ps` shows it) and is retried at the next scheduled time.
 */
export const BACKUP_SCHEDULER_PY = `import datetime
import os
import subprocess
import sys
import time

STATUS_FILE = "${BACKUP_STATUS_FILE}"


def field_matches(field, value, lo, hi):
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            start, end = lo, hi
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = int(part)
            end = hi if step > 1 else start
        if start <= value <= end and (value - start) % step == 0:
            return True
    return False


def matches(expr, t):
    minute, hour, dom, month, dow = expr.split()
    weekday = t.isoweekday() % 7
    dom_ok = field_matches(dom, t.day, 1, 31)
    dow_ok = field_matches(dow, weekday, 0, 7) or (weekday == 0 and field_matches(dow, 7, 0, 7))
    if dom == "*" or dow == "*":
        day_ok = dom_ok and dow_ok
    else:
        day_ok = dom_ok or dow_ok
    return (
        field_matches(minute, t.minute, 0, 59)
        and field_matches(hour, t.hour, 0, 23)
        and field_matches(month, t.month, 1, 12)
        and day_ok
    )


def main():
    schedule = os.environ["BACKUP_SCHEDULE"]
    run = sys.argv[1]
    print("backup-cron: schedule %r (UTC unless TZ is set)" % schedule, flush=True)
    while True:
        now = datetime.datetime.now()
        wake = (now + datetime.timedelta(minutes=1)).replace(second=0, microsecond=0)
        time.sleep(max(0.0, (wake - datetime.datetime.now()).total_seconds()))
        if matches(schedule, wake):
            code = subprocess.call(["bash", run])
            print("backup-cron: run at %s exited %d" % (wake.isoformat(), code), flush=True)
            with open(STATUS_FILE, "w") as status:
                status.write("ok %s\\n" % wake.isoformat() if code == 0 else "failed %d %s\\n" % (code, wake.isoformat()))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        expr, stamp = sys.argv[2].split("@")
        print("match" if matches(expr, datetime.datetime.fromisoformat(stamp)) else "no-match")
    else:
        main()
`;
