#!/usr/bin/env bash
# Start of every job that needs secrets (run-job.sh puts it before the job's script): they arrive on
# stdin as `<path> <base64>` lines, one per file, into the job's tmpfs. Each file is checked, because
# `$(cat file)` of a missing secret would otherwise hand bench an empty password without failing.
set -euo pipefail
while IFS=" " read -r file value || [ -n "$file" ]; do
  if ! { printf %s "$value" | base64 -d > "$file" && chmod 0400 "$file" && [ -s "$file" ]; }; then
    echo "secret $file was not written" >&2
    exit 1
  fi
done
