#!/bin/sh
# The first deploy on this machine, from a fresh clone: `npm ci && npm run local`.
#
#   sh scripts/local.sh [up] [pulumi up flags...]   deploy (or update) the `local` stack
#   sh scripts/local.sh password                    print the Administrator password
#   sh scripts/local.sh env                         print the environment for any other pulumi command:
#                                                   eval "$(sh scripts/local.sh env)"; pulumi stack --stack local
#
# State lives in a file backend in .pulumi-local/ (kept out of git). The passphrase that encrypts the
# stack's secrets is .pulumi-local/passphrase, generated on the first run (mode 0600), unless
# PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is already set. Changing it: docs/state-and-secrets.md.
# Nothing here changes your own `pulumi login`: the backend is passed as PULUMI_BACKEND_URL.
#
# Overridable for tests and odd setups: FRAPPE_LOCAL_DIR (default <repo>/.pulumi-local).
set -eu

STACK=local
repo=$(cd "$(dirname "$0")/.." && pwd)
state_dir=${FRAPPE_LOCAL_DIR:-$repo/.pulumi-local}

fail() {
    echo "$*" >&2
    exit 1
}

check_tools() {
    command -v docker > /dev/null 2>&1 ||
        fail "The Docker CLI (docker) is not installed: install Docker Engine (https://docs.docker.com/engine/install/), then run this again."
    docker info > /dev/null 2>&1 ||
        fail "The Docker daemon is not reachable (docker info failed): start it (sudo systemctl start docker) or add your user to the docker group, then run this again."
    command -v pulumi > /dev/null 2>&1 ||
        fail "The Pulumi CLI (pulumi) is not installed: install it (https://www.pulumi.com/docs/install/), then run this again."
    node_major=$(node -p 'process.versions.node.split(".")[0]' 2> /dev/null || echo 0)
    [ "$node_major" -ge 22 ] ||
        fail "Node.js 22 or newer is needed by the Pulumi program (found: $(node -v 2> /dev/null || echo none)): install it (https://nodejs.org/), then run this again."
    [ -d "$repo/node_modules/@pulumi/pulumi" ] ||
        fail "The program's packages are not installed: run npm ci in $repo, then run this again."
}

# The file backend and the passphrase, as environment for every pulumi call of this script.
use_local_backend() {
    mkdir -p "$state_dir"
    export PULUMI_BACKEND_URL="file://$state_dir"
    if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
        if [ ! -s "$state_dir/passphrase" ]; then
            (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$state_dir/passphrase")
            echo "Generated the passphrase of the local stack's secrets: $state_dir/passphrase (keep it; without it the stack's secrets cannot be read)."
        fi
        export PULUMI_CONFIG_PASSPHRASE_FILE="$state_dir/passphrase"
    fi
}

deploy() {
    check_tools
    use_local_backend
    cd "$repo"
    pulumi stack select "$STACK" --create --non-interactive
    pulumi up --stack "$STACK" "$@"
    site=$(pulumi config get --path 'sites[0].name' --stack "$STACK")
    port=$(pulumi config get --path 'proxy.httpPort' --stack "$STACK")
    cat << EOF

ERPNext is deployed (stack $STACK).
  URL:       http://$site:$port
  User:      Administrator
  Password:  npm run local -- password
The first start takes a few minutes after pulumi up returns while ERPNext warms up.
Other pulumi commands for this stack: eval "\$(sh scripts/local.sh env)"; pulumi stack --stack $STACK
EOF
}

case "${1:-up}" in
up)
    [ $# -gt 0 ] && shift
    deploy "$@"
    ;;
password)
    command -v pulumi > /dev/null 2>&1 ||
        fail "The Pulumi CLI (pulumi) is not installed: install it (https://www.pulumi.com/docs/install/), then run this again."
    use_local_backend
    cd "$repo"
    pulumi stack output adminPassword --show-secrets --stack "$STACK"
    ;;
env)
    use_local_backend > /dev/null
    echo "export PULUMI_BACKEND_URL='$PULUMI_BACKEND_URL'"
    if [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
        echo "export PULUMI_CONFIG_PASSPHRASE_FILE='$PULUMI_CONFIG_PASSPHRASE_FILE'"
    fi
    ;;
-*)
    deploy "$@"
    ;;
*)
    fail "Unknown command $1: use up (the default), password or env."
    ;;
esac
