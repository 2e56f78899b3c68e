#!/usr/bin/env bash
# Builds the real-engine tier's Debian image (no registry, no pull): a Debian root filesystem made with
# debootstrap from Debian's own mirror, with the database servers and tools the tier runs for real
# (MariaDB and PostgreSQL servers and clients, restic, gpg, jq, python3, nginx), imported with `docker import`.
# Like frappe/erpnext it has a `frappe` user (uid 1000) and /home/frappe/frappe-bench/sites owned by it,
# so a named volume mounted there starts out owned by the frappe user.
#
# Cached by content: the tag is a hash of this script and its inputs, so an image built earlier (by an
# earlier test run, or by .ci/run before the tests) is used as it is, and a changed script builds anew.
# Prints the image reference as its last line of output. Needs root (debootstrap, chroot).
#   DEBIAN_MIRROR   Debian mirror (default http://deb.debian.org/debian, as /etc/apt/sources.list.d)
#   DEBIAN_SUITE    Debian release (default bookworm)
#   ENGINE_IMAGE_REPO  image repository (default frappe-pulumi-engine-debian)
set -euo pipefail

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${DEBIAN_SUITE:-bookworm}
repo=${ENGINE_IMAGE_REPO:-frappe-pulumi-engine-debian}
label=frappe-pulumi.engine-image
packages=(
  bash ca-certificates coreutils findutils gzip tar procps
  mariadb-server mariadb-client postgresql postgresql-client
  restic gpg gpg-agent jq python3 python3-croniter nginx
)

hash=$({ cat "${BASH_SOURCE[0]}"; echo "$mirror $suite"; } | sha256sum | cut -c1-16)
image="$repo:$hash"
if docker image inspect "$image" > /dev/null 2>&1; then
  echo "debian-image: $image is built already"
  echo "$image"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "debian-image: building $image needs root (debootstrap); run: sudo bash $0" >&2
  exit 1
fi
command -v debootstrap > /dev/null || {
  echo "debian-image: debootstrap is missing: apt-get install debootstrap" >&2
  exit 1
}

work=$(mktemp -d /var/tmp/engine-image.XXXXXX)
root="$work/rootfs"
cleanup() {
  umount "$root/proc" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s)

echo "debian-image: debootstrap $suite from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

# Packages are installed inside the root filesystem; no service starts there (policy-rc.d), and no
# PostgreSQL cluster is created (the tests create their own).
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/etc/postgresql-common/createcluster.d"
echo "create_main_cluster = false" > "$root/etc/postgresql-common/createcluster.d/no-main.conf"
mount -t proc proc "$root/proc"
echo "debian-image: installing ${packages[*]}"
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive LC_ALL=C \
  sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${packages[*]}" > "$work/apt.log" 2>&1 || {
  tail -n 30 "$work/apt.log" >&2
  exit 1
}
umount "$root/proc"
# No data directory of the package's own (the tests make theirs), no translations, no docs.
chroot "$root" sh -c 'apt-get clean && rm -rf /var/lib/apt/lists/* /var/lib/mysql/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/* /usr/share/i18n'
rm -f "$root/usr/sbin/policy-rc.d"

chroot "$root" useradd --uid 1000 --user-group --create-home --shell /bin/bash frappe
install -d -o 1000 -g 1000 "$root/home/frappe/frappe-bench" "$root/home/frappe/frappe-bench/sites"
# Server sockets and data: writable by the servers' own users, as their packages set them up.
install -d -o "$(chroot "$root" id -u mysql)" -g "$(chroot "$root" id -g mysql)" "$root/run/mysqld"
install -d -o "$(chroot "$root" id -u postgres)" -g "$(chroot "$root" id -g postgres)" "$root/run/postgresql"

tar -C "$root" --numeric-owner -cf "$work/rootfs.tar" .
docker import \
  --change "USER frappe" \
  --change "WORKDIR /home/frappe/frappe-bench" \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV LANG=C.UTF-8" \
  --change "LABEL $label=$hash" \
  "$work/rootfs.tar" "$image" > /dev/null
echo "debian-image: built $image in $(($(date +%s) - started)) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }'))"
echo "$image"
