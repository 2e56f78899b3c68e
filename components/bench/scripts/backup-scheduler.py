"""Scheduled backups and restore drills without the Docker socket (backup-cron).

Runs inside a container of the bench's own image, as the unprivileged frappe user, with the bench's
virtualenv Python: Frappe depends on croniter, which matches the schedules (five-field cron, day of
month and day of week OR-ed when both are restricted, as in Vixie cron). Times are the container's
clock, UTC unless TZ is set. Two kinds of run, each with its schedule and its status file:
  backups  RUN_SCRIPT on $BACKUP_SCHEDULE, recorded in $BACKUP_STATUS_FILE
  drills   drill.sh (beside RUN_SCRIPT) on $VERIFY_SCHEDULE when it is set, recorded in $DRILL_STATUS_FILE
When both are due in the same minute the backup runs first, so the drill restores the newest backup.
A failed run is logged, recorded in its status file (the healthcheck turns the container unhealthy
while one says "failed") and retried at its next scheduled time.

Usage: backup-scheduler.py RUN_SCRIPT            (schedules from the environment)
       backup-scheduler.py --check 'EXPR@ISO'    (prints match / no-match; for tests)
       backup-scheduler.py --tick RUN_SCRIPT ISO (runs what is due at that minute once; for tests)
"""

import datetime
import os
import subprocess
import sys
import time

from croniter import croniter

STATUS_FILE = os.environ.get("BACKUP_STATUS_FILE", "/tmp/backup-cron.status")
DRILL_STATUS_FILE = os.environ.get("DRILL_STATUS_FILE", "/tmp/backup-cron.drill.status")


def matches(expr, when):
    return croniter.match(expr, when)


def record(code, when, status_file):
    stamp = when.isoformat()
    with open(status_file, "w") as status:
        status.write("ok %s\n" % stamp if code == 0 else "failed %d %s\n" % (code, stamp))


def kinds(run):
    """(name, schedule, script, status file) of each kind of run, backups first."""
    out = [("run", os.environ["BACKUP_SCHEDULE"], run, STATUS_FILE)]
    verify = os.environ.get("VERIFY_SCHEDULE", "")
    if verify:
        out.append(("drill", verify, os.path.join(os.path.dirname(run), "drill.sh"), DRILL_STATUS_FILE))
    return out


def tick(runs, when):
    for name, schedule, script, status_file in runs:
        if matches(schedule, when):
            code = subprocess.call(["bash", script])
            print("backup-cron: %s at %s exited %d" % (name, when.isoformat(), code), flush=True)
            record(code, when, status_file)


def main(run):
    runs = kinds(run)
    for name, schedule, _, _ in runs:
        if not croniter.is_valid(schedule):
            sys.exit("backup-cron: invalid %s schedule %r" % (name, schedule))
        print("backup-cron: %s schedule %r (UTC unless TZ is set)" % (name, schedule), flush=True)
    while True:
        now = datetime.datetime.now()
        wake = (now + datetime.timedelta(minutes=1)).replace(second=0, microsecond=0)
        time.sleep(max(0.0, (wake - datetime.datetime.now()).total_seconds()))
        tick(runs, wake)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        expr, stamp = sys.argv[2].rsplit("@", 1)
        print("match" if matches(expr, datetime.datetime.fromisoformat(stamp)) else "no-match")
    elif len(sys.argv) == 4 and sys.argv[1] == "--tick":
        tick(kinds(sys.argv[2]), datetime.datetime.fromisoformat(sys.argv[3]))
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit(__doc__)
