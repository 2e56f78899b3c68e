#!/bin/sh
# The proxy's entrypoint, uploaded into the Traefik container (POSIX sh: the official traefik images are
# Alpine, whose busybox provides sh, chown and su, and whose /etc/passwd has nobody, uid 65534). It starts as
# root only to hand the certificate directory to nobody (a volume is root-owned when created, and earlier
# deploys left acme.json owned by root), then runs Traefik as nobody with the arguments it was given: a
# compromised Traefik holds neither root nor the Docker socket. Binding ports 80 and 443 as nobody works
# because Docker (20.10 and later) starts containers with net.ipv4.ip_unprivileged_port_start=0.
# Env: CERT_DIR (set only with HTTPS).
set -eu
if [ -n "${CERT_DIR:-}" ]; then
  mkdir -p "$CERT_DIR"
  chown -R nobody:nobody "$CERT_DIR"
fi
# `--` ends su's options, so Traefik's own (--ping, --entrypoints...) reach Traefik.
exec su -s /bin/sh -c 'exec traefik "$@"' -- nobody traefik "$@"
