#!/bin/sh
# Entry point of every container that runs this image.
#
# Built assets live in the image at $BENCH/assets; sites/ is a volume that outlives images. The link
# is recreated on each start so that a container always serves the assets of its own image, never a
# copy left in the volume by an older one.
set -e

BENCH=/home/frappe/frappe-bench

if mkdir -p "$BENCH/sites" 2>/dev/null && [ -w "$BENCH/sites" ]; then
    rm -rf "$BENCH/sites/assets"
    ln -s "$BENCH/assets" "$BENCH/sites/assets"
fi

exec "$@"
