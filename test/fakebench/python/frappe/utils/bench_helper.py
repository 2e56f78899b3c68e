"""Stand-in for Frappe's CLI entry module, `python -m frappe.utils.bench_helper frappe <command>...`.

The real module (frappe/frappe, frappe/utils/bench_helper.py, v14 to v16) builds a click group named
`frappe` from every app's commands and runs it on sys.argv; bench runs it from the bench's sites/
directory, which is where it finds the apps (frappe/bench v5.22.3, bench/cli.py frappe_cmd: os.chdir to
sites, then `python -m frappe.utils.bench_helper frappe <args>`). It writes no log of its arguments.

This stand-in keeps those rules (refuses another directory or a missing `frappe` group) and records the
arguments Frappe would act on in $FAKE_BENCH_LOG, one line per call, as the stand-in `bench` does.
`new-site` also does what the stand-in `bench` does for it (see there, and frappe/installer.py _new_site):
refuses an existing site, writes site_config.json, holds locks/installing.lock while the apps install
(left behind when the install fails), records the installed apps; in this process, with no child that
could carry a password on its command line.
"""

import json
import os
import sys
import time


def new_site(args):
    site = args[0]
    if os.path.exists(site):
        sys.exit(f"Site {site} already exists")
    running = os.environ.get("FAKE_BENCH_RUNNING")
    if running:
        os.makedirs(running, exist_ok=True)
        open(os.path.join(running, site), "w").close()
    os.makedirs(os.path.join(site, "locks"))
    os.makedirs(os.path.join(site, "private", "backups"))
    with open(os.path.join(site, "site_config.json"), "w") as f:
        json.dump({"db_name": "_fake"}, f)
    lock = os.path.join(site, "locks", "installing.lock")
    open(lock, "w").close()
    time.sleep(float(os.environ.get("FAKE_BENCH_SLOW", "0")))
    if running:
        os.remove(os.path.join(running, site))
    if site == os.environ.get("FAKE_BENCH_FAIL_SITE"):
        sys.exit(f"new-site {site}: installing failed")
    apps = ["frappe"] + [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--install-app"]
    with open(os.path.join(site, ".fake-installed"), "w") as f:
        f.write("\n".join(apps) + "\n")
    os.remove(lock)


def main():
    args = sys.argv[1:]
    if os.path.basename(os.getcwd()) != "sites":
        sys.exit(f"frappe.utils.bench_helper: run from the bench's sites/ directory, not {os.getcwd()}")
    if not args or args[0] != "frappe":
        sys.exit(f"Usage: bench [OPTIONS] COMMAND [ARGS]...\nError: No such command '{args[0] if args else ''}'.")
    log = os.environ.get("FAKE_BENCH_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(" ".join(args[1:]) + "\n")
    if args[1:2] == ["new-site"]:
        new_site(args[2:])


if __name__ == "__main__":
    main()
