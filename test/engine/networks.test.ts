import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import { CapturedResource, runProgram } from "../harness";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BUSYBOX_CANDIDATES, docker, dockerOk, firstExisting, RUN_ID } from "./engine";
import { debianImage, removeRunObjects, RUN_LABEL } from "./debianImage";

/**
 * The stack's networks on the engine of this machine, as the program renders them for one Docker host: each
 * network with its name, driver and `internal` flag (the provider passes `internal` to NetworkCreate:
 * kreuzwerker/terraform-provider-docker v4.5.0 resource_docker_network_funcs.go), and a stand-in per role
 * on the networks its container joins, under its aliases (networks_advanced). Stand-ins answer on the role's
 * port; what runs in them is the tier's Debian image (bash, python3, nginx).
 *
 * Proved here: from the proxy's network the database and Redis do not resolve and cannot be reached even by
 * address; the application processes reach them; the data network has no way out (no default route, nothing
 * outside it answers); and nginx, trusting X-Forwarded-For from the edge network's subnet only (the real-IP
 * lines of frappe_docker resources/nginx-template.conf: set_real_ip_from, real_ip_header,
 * real_ip_recursive), takes the proxy's forwarded address and refuses one a container elsewhere forges, which
 * the range it trusted before (172.16.0.0/12, every Docker bridge) let through.
 */

const STACK = `nets-${RUN_ID}`;
const PORTS: Record<string, number> = { db: 3306, "redis-cache": 6379, "redis-queue": 6379, backend: 8000 };

interface Rendered {
    readonly networks: { name: string; internal: boolean }[];
    /** Role → networks (Docker names) and aliases of its container. */
    readonly roles: Map<string, { networks: string[]; aliases: string[] }>;
}

async function rendered(): Promise<Rendered> {
    const run = await runProgram({
        stack: STACK,
        config: { tag: "v15.88.1", sites: [{ name: "erp.example.com" }] },
        secrets: { dbPassword: "db", adminPassword: "admin" },
    });
    assert.equal(run.error, undefined, run.error?.message);
    const networks = run.resources
        .filter((r) => r.type === "docker:index/network:Network")
        .map((r) => ({ name: String(r.inputs.name), internal: r.inputs.internal === true, driver: r.inputs.driver }));
    assert.ok(networks.every((n) => n.driver === "bridge"));
    const roles = new Map<string, { networks: string[]; aliases: string[] }>();
    const role = (r: CapturedResource) =>
        ((r.inputs.labels as { label: string; value: string }[] | undefined) ?? []).find(
            (l) => l.label === "frappe.role",
        )?.value;
    for (const c of run.resources.filter((r) => r.type === "docker:index/container:Container")) {
        const joined = c.inputs.networksAdvanced as { name: string; aliases: string[] }[];
        roles.set(String(role(c)), { networks: joined.map((n) => n.name), aliases: joined[0].aliases });
    }
    return { networks, roles };
}

/** Runs `script` with bash in a container started like the role's (its networks and aliases); detached. */
function start(image: string, r: Rendered, role: string, script: string): string {
    const spec = r.roles.get(role);
    assert.ok(spec, `the program renders a ${role} container`);
    const name = `${STACK}-${role}`;
    const [first, ...others] = spec.networks;
    const aliases = spec.aliases.flatMap((a) => ["--network-alias", a]);
    dockerOk(["create", "--name", name, ...RUN_LABEL, "--network", first, ...aliases, image, "bash", "-c", script]);
    for (const n of others) {
        dockerOk(["network", "connect", ...spec.aliases.flatMap((a) => ["--alias", a]), n, name]);
    }
    dockerOk(["start", name]);
    return name;
}

/** A command in a running container: exit code and output. */
function exec(name: string, script: string): { code: number | null; out: string } {
    const res = docker(["exec", name, "bash", "-c", script]);
    return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

const LISTEN = (port: number) => `exec python3 -m http.server ${port} --bind 0.0.0.0 --directory /tmp`;
const TCP = (host: string, port: number) => `timeout 3 bash -c '</dev/tcp/${host}/${port}'`;

/** nginx with the real-IP lines of frappe_docker's template, answering with the client address it believes. */
function nginx(trusted: string): string {
    const conf = [
        "events {}",
        // The image runs as the frappe user: nginx's temporary files where it may write.
        "http { client_body_temp_path /tmp/nb; proxy_temp_path /tmp/np; fastcgi_temp_path /tmp/nf;",
        "uwsgi_temp_path /tmp/nu; scgi_temp_path /tmp/ns; access_log /dev/stdout; server { listen 8080;",
        `set_real_ip_from ${trusted}; real_ip_header X-Forwarded-For; real_ip_recursive off;`,
        "location / { return 200 $remote_addr; } } }",
    ].join("\n");
    return `printf '%s' '${conf}' > /tmp/nginx.conf && exec nginx -c /tmp/nginx.conf -g 'daemon off; pid /tmp/nginx.pid; error_log stderr;'`;
}

/** What nginx on `frontend` tells about a request from `from` with a forged X-Forwarded-For. */
function believed(from: string, frontend: string): string {
    const ask =
        "import urllib.request as u; " +
        `r = u.Request('http://${frontend}:8080/', headers={'X-Forwarded-For': '203.0.113.7'}); ` +
        "print(u.urlopen(r, timeout=5).read().decode().strip())";
    const r = exec(from, `for i in $(seq 40); do python3 -c "${ask}" && exit 0; sleep 0.25; done; exit 1`);
    assert.equal(r.code, 0, r.out);
    return r.out.trim();
}

function address(container: string, network: string): string {
    return dockerOk([
        "inspect",
        "-f",
        `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
        container,
    ]).trim();
}

/**
 * A machine beyond the Docker host, as far as the host's routing sees it: a network namespace behind a veth
 * pair, with an address of TEST-NET-2 (RFC 5737) and a listener. Traffic from a container to it is forwarded
 * by the host, which is what an internal network's rules refuse (moby: internal networks get no route out).
 */
function offHostPeer(): { address: string; port: number; stop(): void } {
    const tag = RUN_ID.slice(-6);
    const ns = `fp-${tag}`;
    const block = 4 * (parseInt(tag, 36) % 60);
    const [host, peer] = [`198.51.100.${block + 1}`, `198.51.100.${block + 2}`];
    const port = 47000 + (parseInt(tag, 36) % 1000);
    const ip = (...args: string[]) => {
        const r = spawnSync("ip", args, { encoding: "utf8" });
        assert.equal(r.status, 0, `ip ${args.join(" ")}: ${r.stderr}`);
    };
    ip("netns", "add", ns);
    ip("link", "add", `fh${tag}`, "type", "veth", "peer", "name", `fn${tag}`);
    ip("link", "set", `fn${tag}`, "netns", ns);
    ip("addr", "add", `${host}/30`, "dev", `fh${tag}`);
    ip("link", "set", `fh${tag}`, "up");
    ip("netns", "exec", ns, "ip", "addr", "add", `${peer}/30`, "dev", `fn${tag}`);
    ip("netns", "exec", ns, "ip", "link", "set", `fn${tag}`, "up");
    ip("netns", "exec", ns, "ip", "route", "add", "default", "via", host);
    const www = fs.mkdtempSync(path.join(os.tmpdir(), "off-host-"));
    fs.writeFileSync(path.join(www, "index.html"), "peer\n");
    const busybox = firstExisting(BUSYBOX_CANDIDATES);
    assert.ok(busybox, "busybox (busybox-static) serves the peer's page");
    const listener = spawn("ip", ["netns", "exec", ns, busybox, "httpd", "-f", "-p", `${peer}:${port}`, "-h", www], {
        stdio: "ignore",
    });
    return {
        address: peer,
        port,
        stop: () => {
            listener.kill();
            spawnSync("ip", ["link", "del", `fh${tag}`]);
            spawnSync("ip", ["netns", "del", ns]);
            fs.rmSync(www, { recursive: true, force: true });
        },
    };
}

describe("real Docker engine: the stack's networks (one host)", function () {
    this.timeout(300_000);
    let image = "";
    let r: Rendered;
    let engine = false;

    before(async function () {
        image = debianImage(this);
        engine = true;
        r = await rendered();
        for (const n of r.networks) {
            dockerOk([
                "network",
                "create",
                "--driver",
                "bridge",
                ...(n.internal ? ["--internal"] : []),
                ...RUN_LABEL,
                n.name,
            ]);
        }
        for (const role of ["db", "redis-cache", "redis-queue", "backend"]) {
            start(image, r, role, LISTEN(PORTS[role]));
        }
        start(image, r, "proxy", "exec sleep 600");
    });

    after(function () {
        if (engine) {
            assert.deepEqual(removeRunObjects(), [], "everything the test created is removed");
        }
    });

    it("renders three networks, the data network internal", () => {
        assert.deepEqual(
            r.networks.map((n) => [n.name, n.internal]),
            [
                [`frappe-${STACK}-edge`, false],
                [`frappe-${STACK}-bench`, false],
                [`frappe-${STACK}-data`, true],
            ],
        );
    });

    it("from the proxy's network, the database and Redis neither resolve nor answer at their addresses", () => {
        const proxy = `${STACK}-proxy`;
        for (const role of ["db", "redis-cache", "redis-queue"]) {
            const name = exec(proxy, `getent hosts ${role}`);
            assert.notEqual(name.code, 0, `${role} resolves from the proxy: ${name.out}`);
            const ip = address(`${STACK}-${role}`, `frappe-${STACK}-data`);
            assert.notEqual(exec(proxy, TCP(ip, PORTS[role])).code, 0, `the proxy reaches ${role} at ${ip}`);
        }
    });

    it("the application processes reach the database and Redis by name", () => {
        const backend = `${STACK}-backend`;
        for (const role of ["db", "redis-cache", "redis-queue"]) {
            const ok = exec(
                backend,
                `for i in $(seq 40); do ${TCP(role, PORTS[role])} && exit 0; sleep 0.25; done; exit 1`,
            );
            assert.equal(ok.code, 0, `backend cannot reach ${role}: ${ok.out}`);
        }
    });

    it("the data network has no way out of the host; the bench network has one", () => {
        const db = `${STACK}-db`;
        const backend = `${STACK}-backend`;
        // Another network: the backend's address on the bench network, where it listens.
        const bench = address(backend, `frappe-${STACK}-bench`);
        assert.notEqual(exec(db, TCP(bench, PORTS.backend)).code, 0, "db reaches the bench network");
        // Off the host: a machine beyond it, emulated by a network namespace routed through the host.
        const peer = offHostPeer();
        try {
            const reach = exec(
                backend,
                `for i in $(seq 12); do ${TCP(peer.address, peer.port)} && exit 0; sleep 0.25; done; exit 1`,
            );
            assert.equal(reach.code, 0, "the backend (bench network) reaches a machine beyond the host");
            assert.notEqual(exec(db, TCP(peer.address, peer.port)).code, 0, "db (data network only) reaches it");
        } finally {
            peer.stop();
        }
    });

    it("what internal leaves open on this engine: the Docker host's own addresses (docs/security.md)", () => {
        // The engine drops what the host would forward off it; a service of the host itself is its INPUT chain,
        // which Docker leaves alone, as from any bridge network.
        const gateway = dockerOk([
            "network",
            "inspect",
            "-f",
            "{{(index .IPAM.Config 0).Gateway}}",
            `frappe-${STACK}-data`,
        ]).trim();
        const port = 46000 + (parseInt(RUN_ID.slice(-4), 36) % 1000);
        const www = fs.mkdtempSync(path.join(os.tmpdir(), "host-service-"));
        fs.writeFileSync(path.join(www, "index.html"), "host\n");
        const busybox = firstExisting(BUSYBOX_CANDIDATES);
        assert.ok(busybox);
        const host = spawn(busybox, ["httpd", "-f", "-p", `${gateway}:${port}`, "-h", www], { stdio: "ignore" });
        try {
            const r = exec(
                `${STACK}-db`,
                `for i in $(seq 12); do ${TCP(gateway, port)} && exit 0; sleep 0.25; done; exit 1`,
            );
            assert.equal(r.code, 0, "a service of the Docker host answers the data network at its gateway address");
        } finally {
            host.kill();
            fs.rmSync(www, { recursive: true, force: true });
        }
    });

    it("nginx trusts X-Forwarded-For from the edge network's subnet only: the proxy's, not a forged one", () => {
        const edge = `frappe-${STACK}-edge`;
        const subnet = dockerOk(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", edge]).trim();
        // The frontend as the program renders it, with the subnet the provider reads back as ipam_config.
        const frontend = start(image, r, "frontend", nginx(subnet));
        assert.equal(believed(`${STACK}-proxy`, "frontend"), "203.0.113.7", "the proxy's forwarded address");
        const backend = `${STACK}-backend`;
        assert.equal(
            believed(backend, "frontend"),
            address(backend, `frappe-${STACK}-bench`),
            "a container on the bench network cannot pass a forged address",
        );
        // The range trusted before: every Docker bridge, so the same forgery passes.
        docker(["rm", "-f", frontend]);
        start(image, r, "frontend", nginx("172.16.0.0/12"));
        const bench = address(backend, `frappe-${STACK}-bench`);
        if (bench.startsWith("172.")) {
            assert.equal(believed(backend, "frontend"), "203.0.113.7", "172.16.0.0/12 trusts the forgery");
        }
    });
});
