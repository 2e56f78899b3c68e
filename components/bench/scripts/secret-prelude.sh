#!/usr/bin/env bash
# Start of every job that needs secrets (run-job.sh puts it before the job's script): they arrive on
# stdin as `<path> <base64>` lines, one per file, into the job's tmpfs. Each file is checked, because
# `$(cat file)` of a missing secret would otherwise hand bench an empty password without failing.
# It also defines frappe_cli and scrub_bench_log, for the jobs that hand a secret to Frappe.
set -euo pipefail
while IFS=" " read -r file value || [ -n "$file" ]; do
  if ! { printf %s "$value" | base64 -d > "$file" && chmod 0400 "$file" && [ -s "$file" ]; }; then
    echo "secret $file was not written" >&2
    exit 1
  fi
done

# frappe_cli ARG...: what `bench ARG...` runs, with no password on any command line. The bench CLI
# writes its whole command line to logs/bench.log, then runs `env/bin/python -m frappe.utils.bench_helper
# frappe ARG...` from sites/ (frappe/bench v5.22.3, bench/cli.py: cli() and frappe_cmd()), so a password
# among the arguments lands in that log and in `ps`. Here the bench's Python runs that module inside its
# own process, and an argument `@file:<absolute path>` becomes that file's content (trailing newlines
# dropped, as `$(cat file)` does): the value is in no process's argv and in no log.
frappe_cli() {
  (
    cd sites
    ../env/bin/python - "$@" << 'PY'
import runpy
import sys


def value(arg):
    if not arg.startswith("@file:"):
        return arg
    with open(arg[len("@file:"):], encoding="utf-8") as f:
        return f.read().rstrip("\n")


sys.argv = ["frappe.utils.bench_helper", "frappe"] + [value(a) for a in sys.argv[1:]]
runpy.run_module("frappe.utils.bench_helper", run_name="__main__", alter_sys=True)
PY
  )
}

# scrub_bench_log SECRET_FILE...: removes passwords that earlier deploys' `bench ... --db-root-password
# <value>` calls left in logs/bench.log: every value after a password flag, and each given secret's content
# wherever it appears. The file is rewritten in place (same inode), so bench processes that hold it open
# keep appending to it; nothing is written when nothing matched.
scrub_bench_log() {
  [ -f logs/bench.log ] || return 0
  env/bin/python - "$@" << 'PY'
import re
import sys

FLAG = rb"(--(?:db-root-password|mariadb-root-password|root-password|admin-password|db-password|password)(?:=|[ \t]+))[^ \t\r\n]+"
secrets = []
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            secret = f.read().rstrip(b"\n")
    except FileNotFoundError:
        continue
    if secret:
        secrets.append(secret)
with open("logs/bench.log", "r+b") as log:
    before = log.read()
    after = re.sub(FLAG, rb"\1********", before)
    for secret in secrets:
        after = after.replace(secret, b"********")
    if after != before:
        log.seek(0)
        log.write(after)
        log.truncate()
        print("removed passwords that earlier deploys left in logs/bench.log")
PY
}
