#!/bin/sh
# The first deploy on this machine, from a fresh clone: `npm ci && npm run local`.
#
#   sh scripts/local.sh [up] [pulumi up flags...]   deploy (or update) the `local` stack
#   sh scripts/local.sh password                    print the Administrator password
#   sh scripts/local.sh down [--yes]                remove the containers, the networks and the jobs' leftover
#                                                   containers; keep the volumes, the passwords and the state
#   sh scripts/local.sh down --delete-data [--yes]  remove everything, volumes and passwords included (asks
#                                                   you to type the stack name unless --yes)
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

PULUMI_HINT="The Pulumi CLI (pulumi) is not installed: install it (https://www.pulumi.com/docs/install/)."

# Checks the named prerequisites (docker, pulumi, node, packages) and reports every missing one at once.
check_tools() {
    missing=""
    for tool in "$@"; do
        problem=""
        case "$tool" in
        docker)
            if ! command -v docker > /dev/null 2>&1; then
                problem="The Docker CLI (docker) is not installed: install Docker Engine (https://docs.docker.com/engine/install/)."
            elif ! docker info > /dev/null 2>&1; then
                problem="The Docker daemon is not reachable (docker info failed): start it (sudo systemctl start docker) or add your user to the docker group."
            fi
            ;;
        pulumi)
            command -v pulumi > /dev/null 2>&1 || problem=$PULUMI_HINT
            ;;
        node)
            node_major=$(node -p 'process.versions.node.split(".")[0]' 2> /dev/null || echo 0)
            [ "$node_major" -ge 22 ] 2> /dev/null ||
                problem="Node.js 22 or newer is needed by the Pulumi program (found: $(node -v 2> /dev/null || echo none)): install it (https://nodejs.org/)."
            ;;
        packages)
            [ -d "$repo/node_modules/@pulumi/pulumi" ] ||
                problem="The program's packages are not installed: run npm ci in $repo."
            ;;
        esac
        if [ -n "$problem" ]; then
            missing="$missing
  - $problem"
        fi
    done
    [ -z "$missing" ] || fail "Missing before this can run:$missing
Then run this again."
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
    check_tools docker pulumi node packages
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

# Names of the containers the stack itself manages (its containerNames output), one per line; none before
# a first deploy. The names are Docker names ([a-z0-9-]), so the JSON list splits without a JSON parser.
managed_containers() {
    pulumi stack output containerNames --json --stack "$STACK" 2> /dev/null | tr -d '[]", ' | grep -v '^$' || true
}

# Takes the stack down: `pulumi destroy --exclude-protected` removes everything but the protected resources
# (the volumes, the generated passwords) and what they depend on; then the containers the jobs kept for
# `docker logs` (labelled frappe.stack=<stack>, not resources of the stack) are removed. With --delete-data,
# after a typed confirmation: the protection is lifted, the rest destroyed, and the volumes removed by hand,
# because they are also retainOnDelete: Pulumi forgets them but leaves them on the host.
down() {
    delete_data=false
    yes=""
    for arg in "$@"; do
        case "$arg" in
        --delete-data) delete_data=true ;;
        --yes | -y) yes=--yes ;;
        *) fail "Unknown option for down: $arg (use --delete-data and/or --yes)." ;;
        esac
    done
    check_tools docker pulumi
    use_local_backend > /dev/null
    cd "$repo"
    if ! err=$(pulumi stack output --json --stack "$STACK" 2>&1 > /dev/null); then
        case "$err" in
        *"no stack named"*)
            echo "There is no $STACK stack in $state_dir: nothing to take down."
            return 0
            ;;
        *) fail "Cannot read the $STACK stack: $err" ;;
        esac
    fi
    if [ "$delete_data" = true ] && [ -z "$yes" ]; then
        echo "This deletes the $STACK stack's data for good: every site with its database, files and backups"
        echo "(the volumes labelled frappe.stack=$STACK), and its generated passwords. There is no way back."
        printf 'Type the stack name (%s) to delete it: ' "$STACK"
        answer=""
        read -r answer || true
        [ "$answer" = "$STACK" ] || fail "Not confirmed; nothing was changed."
        yes=--yes
    fi
    managed=$(managed_containers)
    busy=""
    for name in $(docker ps --filter "label=frappe.stack=$STACK" --format '{{.Names}}'); do
        printf '%s\n' "$managed" | grep -qx "$name" || busy="$busy $name"
    done
    [ -z "$busy" ] || fail "A job container is still running (a deploy in progress, or one that was interrupted):$busy. Wait for it (docker wait <name>) or stop it (docker stop <name>), then run this again; nothing was changed."

    pulumi destroy --exclude-protected --stack "$STACK" $yes
    for name in $(docker ps -a --filter "label=frappe.stack=$STACK" --format '{{.Names}}'); do
        docker rm -v "$name" > /dev/null
        echo "Removed $name (a job's container, kept for docker logs)."
    done
    if [ "$delete_data" = false ]; then
        cat << EOF

The $STACK stack is down: its containers and networks are removed.
Kept: its volumes (docker volume ls --filter label=frappe.stack=$STACK), its generated passwords and its state.
  npm run local                          brings it back, same sites and data
  npm run local -- down --delete-data    deletes the data and passwords too
EOF
        return 0
    fi
    pulumi state unprotect --all --yes --stack "$STACK"
    pulumi destroy --yes --stack "$STACK"
    volumes=$(docker volume ls -q --filter "label=frappe.stack=$STACK")
    if [ -n "$volumes" ]; then
        # Docker names, one per line: split on purpose.
        # shellcheck disable=SC2086
        docker volume rm $volumes > /dev/null
    fi
    cat << EOF

The $STACK stack's containers, networks, volumes and generated passwords are deleted.
Kept: the stack itself (Pulumi.$STACK.yaml, its now empty state and the passphrase in $state_dir).
  npm run local    deploys it again from nothing (new sites, new passwords)
EOF
}

case "${1:-up}" in
up)
    [ $# -gt 0 ] && shift
    deploy "$@"
    ;;
down)
    shift
    down "$@"
    ;;
password)
    check_tools pulumi node packages
    use_local_backend
    cd "$repo"
    # npm run password, without npm's banner: the program exports no password (docs/passwords.md).
    node "$repo/node_modules/tsx/dist/cli.mjs" "$repo/scripts/password.ts" admin --stack "$STACK"
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
    fail "Unknown command $1: use up (the default), down, password or env."
    ;;
esac
