// Stand-in Docker CLI over a Docker host kept in $FAKEHOST_STATE/docker.json:
//   { "containers": [{ "name", "state": "running"|"exited", "labels": {}, "volumes": [], "networks": [] }],
//     "networks": [{ "name", "labels": {} }], "volumes": [{ "name", "labels": {} }] }
// It applies the engine's rules that teardown meets, with the engine's own messages (checked against
// dockerd 20.10.24 with the 28.2 client on this machine):
// - `rm` refuses a running container without -f ("You cannot remove a running container ...");
// - `network rm` refuses a network a running container is attached to ("... has active endpoints"); a
//   stopped container does not hold it;
// - `volume rm` refuses a volume any container uses, stopped ones included ("volume is in use");
// - a missing object is an error naming it.
// Every call is appended to $FAKEHOST_STATE/calls as "docker <args>".
import * as fs from "fs";
import * as path from "path";

const stateDir = process.env.FAKEHOST_STATE;
if (!stateDir) {
    process.stderr.write("fake docker: FAKEHOST_STATE is not set\n");
    process.exit(2);
}
const file = path.join(stateDir, "docker.json");
const args = process.argv.slice(2);
fs.appendFileSync(path.join(stateDir, "calls"), `docker ${args.join(" ")}\n`);

if (process.env.FAKEHOST_DOCKER_DOWN) {
    process.stderr.write(
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
    );
    process.exit(1);
}

const host = fs.existsSync(file)
    ? JSON.parse(fs.readFileSync(file, "utf8"))
    : { containers: [], networks: [], volumes: [] };
const save = () => fs.writeFileSync(file, JSON.stringify(host, null, 2));
const idOf = (name) => Buffer.from(name).toString("hex").padEnd(64, "0").slice(0, 64);
const fail = (message) => {
    process.stderr.write(`${message}\n`);
    process.exit(1);
};

/** Flags and their values, and the remaining operands. */
function parse(argv, valued) {
    const flags = {};
    const operands = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a.startsWith("-")) {
            const [key, inline] = a.split("=", 2);
            if (valued.includes(key)) {
                const value = inline ?? argv[++i];
                (flags[key] ??= []).push(value);
            } else {
                for (const f of key.startsWith("--")
                    ? [key]
                    : key
                          .slice(1)
                          .split("")
                          .map((c) => `-${c}`)) {
                    flags[f] = true;
                }
            }
        } else {
            operands.push(a);
        }
    }
    return { flags, operands };
}

function matches(object, filters) {
    return (filters ?? []).every((f) => {
        const [kind, rest] = f.split(/=(.*)/s, 2);
        if (kind === "label") {
            const [key, value] = rest.split(/=(.*)/s, 2);
            return value === undefined ? key in object.labels : object.labels[key] === value;
        }
        if (kind === "volume") return (object.volumes ?? []).includes(rest);
        if (kind === "name") return object.name.includes(rest);
        if (kind === "status") return object.state === rest;
        fail(`fake docker: unsupported filter ${f}`);
        return false;
    });
}

function render(object, format) {
    if (format === undefined) return object.name;
    return format
        .replace(/\{\{\.Names\}\}|\{\{\.Name\}\}/g, object.name)
        .replace(/\{\{\.State\}\}/g, object.state ?? "")
        .replace(/\{\{\.Label "([^"]+)"\}\}/g, (_, key) => object.labels[key] ?? "");
}

function ps(argv) {
    const { flags } = parse(argv, ["--filter", "-f", "--format"]);
    const all = flags["-a"] || flags["--all"];
    const rows = host.containers
        .filter((c) => all || c.state === "running")
        .filter((c) => matches(c, [...(flags["--filter"] ?? []), ...(flags["-f"] ?? [])]))
        .map((c) => (flags["-q"] ? idOf(c.name).slice(0, 12) : render(c, flags["--format"]?.[0])));
    if (rows.length > 0) process.stdout.write(`${rows.join("\n")}\n`);
}

function byNameOrId(list, key) {
    return list.find((o) => o.name === key || idOf(o.name).startsWith(key));
}

function rm(argv) {
    const { flags, operands } = parse(argv, []);
    let failed = false;
    for (const key of operands) {
        const c = byNameOrId(host.containers, key);
        if (c === undefined) {
            process.stderr.write(`Error response from daemon: No such container: ${key}\n`);
            failed = true;
        } else if (c.state === "running" && !(flags["-f"] || flags["--force"])) {
            process.stderr.write(
                `Error response from daemon: You cannot remove a running container ${idOf(c.name)}. ` +
                    "Stop the container before attempting removal or force remove\n",
            );
            failed = true;
        } else {
            host.containers = host.containers.filter((x) => x !== c);
            process.stdout.write(`${key}\n`);
        }
    }
    save();
    if (failed) process.exit(1);
}

function stop(argv) {
    const { operands } = parse(argv, ["-t", "--time"]);
    for (const key of operands) {
        const c = byNameOrId(host.containers, key);
        if (c === undefined) fail(`Error response from daemon: No such container: ${key}`);
        c.state = "exited";
        process.stdout.write(`${key}\n`);
    }
    save();
}

function network(argv) {
    const [sub, ...rest] = argv;
    const { flags, operands } = parse(rest, ["--filter", "-f", "--format"]);
    if (sub === "ls") {
        const rows = host.networks.filter((n) => matches(n, flags["--filter"])).map((n) => n.name);
        if (rows.length > 0) process.stdout.write(`${rows.join("\n")}\n`);
        return;
    }
    if (sub !== "rm") fail(`fake docker: unsupported network ${sub}`);
    for (const name of operands) {
        const n = host.networks.find((x) => x.name === name);
        if (n === undefined) fail(`Error response from daemon: network ${name} not found`);
        if (host.containers.some((c) => c.state === "running" && (c.networks ?? []).includes(name))) {
            fail(
                `Error response from daemon: error while removing network: network ${name} id ${idOf(name)} has active endpoints`,
            );
        }
        host.networks = host.networks.filter((x) => x !== n);
        process.stdout.write(`${name}\n`);
    }
    save();
}

function volume(argv) {
    const [sub, ...rest] = argv;
    const { flags, operands } = parse(rest, ["--filter", "-f", "--format"]);
    if (sub === "ls") {
        const rows = host.volumes.filter((v) => matches(v, flags["--filter"])).map((v) => v.name);
        if (rows.length > 0) process.stdout.write(`${rows.join("\n")}\n`);
        return;
    }
    if (sub !== "rm") fail(`fake docker: unsupported volume ${sub}`);
    let failed = false;
    for (const name of operands) {
        const v = host.volumes.find((x) => x.name === name);
        const users = host.containers.filter((c) => (c.volumes ?? []).includes(name));
        if (v === undefined) {
            process.stderr.write(`Error response from daemon: get ${name}: no such volume\n`);
            failed = true;
        } else if (users.length > 0) {
            process.stderr.write(
                `Error response from daemon: remove ${name}: volume is in use - [${users.map((c) => idOf(c.name)).join(", ")}]\n`,
            );
            failed = true;
        } else {
            host.volumes = host.volumes.filter((x) => x !== v);
            process.stdout.write(`${name}\n`);
        }
    }
    save();
    if (failed) process.exit(1);
}

const [command, ...rest] = args;
switch (command) {
    case "info":
        process.stdout.write("Server Version: 99.0-fake\n");
        break;
    case "ps":
        ps(rest);
        break;
    case "rm":
        rm(rest);
        break;
    case "stop":
        stop(rest);
        break;
    case "network":
        network(rest);
        break;
    case "volume":
        volume(rest);
        break;
    default:
        fail(`fake docker: unsupported command ${args.join(" ")}`);
}
