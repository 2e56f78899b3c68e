#!/bin/sh
# Default command: the Frappe web server. Tune with GUNICORN_WORKERS, GUNICORN_THREADS and
# GUNICORN_TIMEOUT (seconds) instead of overriding the command.
set -e

BENCH=/home/frappe/frappe-bench

exec "$BENCH/env/bin/gunicorn" \
    --chdir="$BENCH/sites" \
    --bind=0.0.0.0:8000 \
    --workers="${GUNICORN_WORKERS:-2}" \
    --threads="${GUNICORN_THREADS:-4}" \
    --worker-class=gthread \
    --worker-tmp-dir=/dev/shm \
    --timeout="${GUNICORN_TIMEOUT:-120}" \
    --preload \
    frappe.app:application
