"""Scheduled backups without the Docker socket (backup-cron).

Runs inside a container of the bench's own image, as the unprivileged frappe user, with the bench's
virtualenv Python: Frappe depends on croniter, which matches the schedule (five-field cron, day of
month and day of week OR-ed when both are restricted, as in Vixie cron). Times are the container's
clock, UTC unless TZ is set. A failed run is logged, recorded in the status file (the healthcheck
turns the container unhealthy while it says "failed") and retried at the next scheduled time.

Usage: backup-scheduler.py RUN_SCRIPT           (schedule from $BACKUP_SCHEDULE)
       backup-scheduler.py --check 'EXPR@ISO'   (prints match / no-match; for tests)
"""

import datetime
import os
import subprocess
import sys
import time

from croniter import croniter

STATUS_FILE = os.environ.get("BACKUP_STATUS_FILE", "/tmp/backup-cron.status")


def matches(expr, when):
    return croniter.match(expr, when)


def record(code, when):
    stamp = when.isoformat()
    with open(STATUS_FILE, "w") as status:
        status.write("ok %s\n" % stamp if code == 0 else "failed %d %s\n" % (code, stamp))


def main(run):
    schedule = os.environ["BACKUP_SCHEDULE"]
    if not croniter.is_valid(schedule):
        sys.exit("backup-cron: invalid schedule %r" % schedule)
    print("backup-cron: schedule %r (UTC unless TZ is set)" % schedule, flush=True)
    while True:
        now = datetime.datetime.now()
        wake = (now + datetime.timedelta(minutes=1)).replace(second=0, microsecond=0)
        time.sleep(max(0.0, (wake - datetime.datetime.now()).total_seconds()))
        if matches(schedule, wake):
            code = subprocess.call(["bash", run])
            print("backup-cron: run at %s exited %d" % (wake.isoformat(), code), flush=True)
            record(code, wake)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        expr, stamp = sys.argv[2].rsplit("@", 1)
        print("match" if matches(expr, datetime.datetime.fromisoformat(stamp)) else "no-match")
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit(__doc__)
