"""Stand-in for `python -m frappe.utils.bench_helper frappe <command>...` in the real-engine window test.

The real module runs Frappe's click group from the bench's sites/ directory (frappe/bench v5.22.3,
bench/cli.py frappe_cmd); here the command goes to the stand-in `bench` of this image, which keeps the
site's database as a file (test/engine/fakes/bench).
"""

import os
import subprocess
import sys

if __name__ == "__main__":
    args = sys.argv[1:]
    if os.path.basename(os.getcwd()) != "sites" or not args or args[0] != "frappe":
        sys.exit("frappe.utils.bench_helper: run from sites/ as `frappe <command>`")
    sys.exit(subprocess.run(["bench", *args[1:]], cwd="..").returncode)
