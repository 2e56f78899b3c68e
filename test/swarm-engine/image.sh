#!/usr/bin/env bash
# Root filesystem of the real-Swarm tier's stand-in images (frappe/erpnext, postgres, redis, traefik),
# as one tarball for `docker import` (no registry, no pull): Debian's static busybox for the small tools,
# the machine's own bash, curl, jq, GNU find, getent, setpriv and flock with the shared libraries they load
# (the job scripts need find -printf and jq; names must resolve through glibc, which static binaries
# cannot do), and the stand-in programs of standins/. The bench is laid out as in frappe/erpnext
# (/home/frappe/frappe-bench with apps/frappe, apps/erpnext, sites and logs owned by uid 1000).
#   image.sh OUT.tar
set -euo pipefail
out=${1:?usage: image.sh OUT.tar}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(mktemp -d)
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT

busybox=$(command -v busybox || true)
case "$( [ -z "$busybox" ] || ldd "$busybox" 2>&1 || true)" in
  *"not a dynamic"*) ;;
  *)
    echo "image.sh: needs a static busybox (apt-get install busybox-static)" >&2
    exit 1
    ;;
esac

bench=home/frappe/frappe-bench
mkdir -p "$root"/{bin,etc,run,tmp,usr/bin,usr/local/bin,usr/local/lib/standin,lib64,letsencrypt,data} \
  "$root/var/lib/postgresql/data" "$root/$bench"/{apps/frappe,apps/erpnext,sites,logs,env/bin}
chmod 1777 "$root/tmp"

# The machine's binaries with every shared library they load (and the loader).
copy_with_libs() {
  local bin=$1 dest=$2 lib
  cp "$bin" "$root$dest"
  for lib in $(ldd "$bin" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
copy_with_libs /bin/bash /bin/bash
for tool in curl jq find getent setpriv flock; do
  copy_with_libs "$(command -v "$tool")" "/usr/bin/$tool"
done

cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  case "$applet" in busybox | bash | find | setpriv | flock) continue ;; esac
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

cat > "$root/etc/passwd" << 'EOF'
root:x:0:0:root:/root:/bin/sh
postgres:x:999:999:postgres:/var/lib/postgresql:/bin/bash
frappe:x:1000:1000:frappe:/home/frappe:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$root/etc/group" << 'EOF'
root:x:0:
postgres:x:999:
frappe:x:1000:
nogroup:x:65534:
nobody:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$root/etc/nsswitch.conf"

s="$here/standins"
install -m 0755 "$s/bench" "$s/node" "$s/pg_isready" "$s/redis-cli" "$s/traefik" "$s/nginx-entrypoint.sh" \
  "$s/docker-entrypoint.sh" "$s/postgres-server" "$s/redis-server-standin" "$root/usr/local/bin/"
install -m 0755 "$s/traefik-entrypoint.sh" "$root/entrypoint.sh"
install -m 0644 "$s/http.sh" "$root/usr/local/lib/standin/"
install -m 0755 "$s/backend-request" "$s/frontend-request" "$s/ok-request" "$s/redis-request" "$s/traefik-request" \
  "$root/usr/local/lib/standin/"
install -m 0755 "$s/gunicorn" "$s/python" "$root/$bench/env/bin/"
echo "// stand-in: the websocket service runs node with this path" > "$root/$bench/apps/frappe/socketio.js"

chown -R 0:0 "$root"
chown -R 1000:1000 "$root/home/frappe"
chown -R 999:999 "$root/var/lib/postgresql" "$root/data"
tar --numeric-owner -C "$root" -cf "$out" .
