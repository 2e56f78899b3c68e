import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CERT_DIR } from "../../components/bench/layout";
import { scriptPath } from "../../components/bench/scriptFiles";
import { PROXY_START_CAPABILITIES } from "../../components/renderer/traefik";
import { CapturedResource, runProgram } from "../harness";
import { scenario } from "../scenarios";
import {
    BUSYBOX_CANDIDATES,
    cleanUp,
    docker,
    dockerOk,
    firstExisting,
    requireEngine,
    RUN_ID,
    TEST_LABEL,
} from "./engine";

/**
 * The proxy's start script (components/bench/scripts/proxy-start.sh) in a real container on the engine of
 * this machine: an image with what the official traefik image (Alpine) gives it, busybox's sh, chown and su
 * and a `nobody` user, and a stand-in `traefik` that reports who it runs as and writes acme.json, as Traefik
 * does with Let's Encrypt, and listens on :80. The certificate volume starts as an earlier deploy left it:
 * acme.json owned by root, mode 0600. The container gets the privileges the program renders for the proxy,
 * read from the rendered graph: on one host the docker.Container's capabilities and securityOpts, on Swarm
 * the docker.Service's capDrops, capAdds and readOnly (the start script then comes as a read-only file, as
 * a Swarm config does).
 */

const STACK = `proxy-start-${RUN_ID}`;
const IMAGE = `frappe-pulumi-proxy-start-test:${RUN_ID}`;
const VOLUME = `${STACK}-cert-data`;

const FAKE_TRAEFIK = [
    "#!/bin/sh",
    'echo "uid=$(id -u) gid=$(id -g) args=$*"',
    "grep CapEff /proc/self/status",
    "nc -l -p 80 > /dev/null 2>&1 &",
    "sleep 1",
    // busybox nc listens on the IPv6 wildcard, which takes IPv4 too: a LISTEN (0A) socket on port 0x0050.
    "grep -qE ':0050 [0:]+ 0A ' /proc/net/tcp /proc/net/tcp6 && echo 'listening on :80'",
    'kill "$!"',
    `if [ -d ${CERT_DIR} ]; then echo renewed > ${CERT_DIR}/acme.json && echo wrote; fi`,
    "",
].join("\n");

type Obj = Record<string, unknown>;

function proxyOf(resources: readonly CapturedResource[], type: string): CapturedResource {
    const found = resources.filter(
        (r) =>
            r.type === type &&
            ((r.inputs.labels as { label: string; value: string }[] | undefined) ?? []).some(
                (l) => l.label === "frappe.role" && l.value === "proxy",
            ),
    );
    assert.equal(found.length, 1, `one proxy ${type}`);
    return found[0];
}

/** `docker run` flags for the privileges the program gives the proxy container on one host. */
async function oneHostFlags(): Promise<string[]> {
    const run = await runProgram(scenario("postgres-https-three-sites"));
    assert.equal(run.error, undefined, run.error?.message);
    const inputs = proxyOf(run.resources, "docker:index/container:Container").inputs;
    const caps = inputs.capabilities as { drops: string[]; adds: string[] };
    return [
        ...caps.drops.flatMap((c) => ["--cap-drop", c]),
        ...caps.adds.flatMap((c) => ["--cap-add", c]),
        ...(inputs.securityOpts as string[]).flatMap((o) => ["--security-opt", o]),
        ...(inputs.readOnly === true ? ["--read-only"] : []),
    ];
}

/** The same for the proxy's Swarm service (what its task's container gets). */
async function swarmFlags(): Promise<string[]> {
    const run = await runProgram(scenario("swarm-postgres-https-three-sites"));
    assert.equal(run.error, undefined, run.error?.message);
    const spec = (proxyOf(run.resources, "docker:index/service:Service").inputs.taskSpec as Obj).containerSpec as Obj;
    return [
        ...(spec.capDrops as string[]).flatMap((c) => ["--cap-drop", c]),
        ...(spec.capAdds as string[]).flatMap((c) => ["--cap-add", c]),
        ...(spec.readOnly === true ? ["--read-only"] : []),
    ];
}

function buildImage(): void {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "proxy-start-image-"));
    const busybox = firstExisting(BUSYBOX_CANDIDATES);
    assert.ok(busybox, "static busybox");
    for (const dir of ["bin", "etc", "usr/local/bin", "proc", "sys", "dev"]) {
        fs.mkdirSync(path.join(root, dir), { recursive: true });
    }
    fs.copyFileSync(busybox, path.join(root, "bin", "busybox"));
    fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
    for (const applet of [
        "sh",
        "su",
        "chown",
        "mkdir",
        "id",
        "grep",
        "echo",
        "ls",
        "stat",
        "cat",
        "chmod",
        "nc",
        "sleep",
    ]) {
        fs.symlinkSync("busybox", path.join(root, "bin", applet));
    }
    fs.writeFileSync(
        path.join(root, "etc", "passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n",
    );
    fs.writeFileSync(path.join(root, "etc", "group"), "root:x:0:\nnobody:x:65534:\n");
    fs.writeFileSync(path.join(root, "usr", "local", "bin", "traefik"), FAKE_TRAEFIK, { mode: 0o755 });
    const archive = `${root}.tar`;
    const tar = spawnSync("tar", ["-C", root, "--owner=0", "--group=0", "-cf", archive, "."], { encoding: "utf8" });
    assert.equal(tar.status, 0, tar.stderr);
    dockerOk(["import", "--change", "ENV PATH=/usr/local/bin:/bin", archive, IMAGE]);
    fs.rmSync(archive, { force: true });
    fs.rmSync(root, { recursive: true, force: true });
}

describe("real engine: the proxy runs as nobody and takes over its certificates (proxy-start.sh)", function () {
    before(function () {
        requireEngine(this);
        buildImage();
        dockerOk(["volume", "create", "--label", `${TEST_LABEL}=${RUN_ID}`, VOLUME]);
        dockerOk([
            "run",
            "--rm",
            "--label",
            `${TEST_LABEL}=${RUN_ID}`,
            "-v",
            `${VOLUME}:${CERT_DIR}`,
            IMAGE,
            "sh",
            "-c",
            `echo old > ${CERT_DIR}/acme.json && chmod 600 ${CERT_DIR}/acme.json`,
        ]);
    });

    after(() => {
        if (docker(["info"]).status === 0) {
            assert.deepEqual(cleanUp(STACK, IMAGE), []);
        }
    });

    /** Runs the start script as the proxy with `flags`; the volume and CERT_DIR as with HTTPS. */
    function startProxy(flags: readonly string[]) {
        return docker([
            "run",
            "--rm",
            "--label",
            `${TEST_LABEL}=${RUN_ID}`,
            ...flags,
            "-e",
            `CERT_DIR=${CERT_DIR}`,
            "-v",
            `${VOLUME}:${CERT_DIR}`,
            "-v",
            `${scriptPath("proxy-start.sh")}:/etc/traefik/proxy-start.sh:ro`,
            "--entrypoint",
            "/bin/sh",
            IMAGE,
            "/etc/traefik/proxy-start.sh",
            "--ping=true",
            "--entrypoints.web.address=:80",
        ]);
    }

    function acmeOwner(): string {
        return dockerOk([
            "run",
            "--rm",
            "-v",
            `${VOLUME}:${CERT_DIR}`,
            IMAGE,
            "stat",
            "-c",
            "%u:%g %a",
            `${CERT_DIR}/acme.json`,
        ]);
    }

    function expectStarted(r: ReturnType<typeof docker>): void {
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^uid=65534 gid=65534 args=--ping=true --entrypoints\.web\.address=:80$/m);
        assert.match(r.stdout, /^CapEff:\s+0+$/m);
        assert.match(r.stdout, /^listening on :80$/m);
        assert.match(r.stdout, /^wrote$/m);
        assert.equal(acmeOwner(), "65534:65534 600");
    }

    it("one host, with the rendered privileges: hands the volume to nobody, runs Traefik as nobody with no capability, binds :80", async () => {
        const flags = await oneHostFlags();
        assert.ok(flags.includes("no-new-privileges:true"), flags.join(" "));
        expectStarted(startProxy(flags));
    });

    it("Swarm, with the rendered privileges and a read-only root: the same", async () => {
        const flags = await swarmFlags();
        assert.ok(flags.includes("--read-only"), flags.join(" "));
        dockerOk(["run", "--rm", "-v", `${VOLUME}:${CERT_DIR}`, IMAGE, "sh", "-c", `chown 0:0 ${CERT_DIR}/acme.json`]);
        expectStarted(startProxy(flags));
    });

    for (const needed of PROXY_START_CAPABILITIES) {
        it(`needs ${needed}: without it the proxy does not start`, async () => {
            dockerOk([
                "run",
                "--rm",
                "-v",
                `${VOLUME}:${CERT_DIR}`,
                IMAGE,
                "sh",
                "-c",
                `chown 0:0 ${CERT_DIR}/acme.json`,
            ]);
            const flags = await oneHostFlags();
            const at = flags.findIndex((f, i) => f === "--cap-add" && flags[i + 1] === needed);
            assert.ok(at >= 0, `${needed} is among ${flags.join(" ")}`);
            const withoutCap = [...flags.slice(0, at), ...flags.slice(at + 2)];
            const r = startProxy(withoutCap);
            assert.notEqual(r.status, 0, r.stdout);
            assert.doesNotMatch(r.stdout, /^uid=65534/m);
        });
    }

    it("without HTTPS (no CERT_DIR) touches no directory and still drops to nobody", () => {
        const r = docker([
            "run",
            "--rm",
            "--label",
            `${TEST_LABEL}=${RUN_ID}`,
            "-v",
            `${scriptPath("proxy-start.sh")}:/etc/traefik/proxy-start.sh:ro`,
            "--entrypoint",
            "/bin/sh",
            IMAGE,
            "/etc/traefik/proxy-start.sh",
            "--ping=true",
        ]);
        // The stand-in cannot write acme.json there (no volume, / is root's): it still ran, as nobody.
        assert.match(r.stdout, /^uid=65534 gid=65534 args=--ping=true$/m);
    });
});
