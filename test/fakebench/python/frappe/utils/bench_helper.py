"""Stand-in for Frappe's CLI entry module, `python -m frappe.utils.bench_helper frappe <command>...`.

The real module (frappe/frappe, frappe/utils/bench_helper.py, v14 to v16) builds a click group named
`frappe` from every app's commands and runs it on sys.argv; bench runs it from the bench's sites/
directory, which is where it finds the apps (frappe/bench v5.22.3, bench/cli.py frappe_cmd: os.chdir to
sites, then `python -m frappe.utils.bench_helper frappe <args>`). It writes no log of its arguments.

This stand-in keeps those rules (refuses another directory or a missing `frappe` group) and records the
arguments Frappe would act on in $FAKE_BENCH_LOG, one line per call, as the stand-in `bench` does.
"""

import os
import sys


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


if __name__ == "__main__":
    main()
