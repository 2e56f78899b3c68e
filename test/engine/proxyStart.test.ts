import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CERT_DIR } from "../../components/bench/layout";
import { scriptPath } from "../../components/bench/scriptFiles";
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
 * does with Let's Encrypt. The certificate volume starts as an earlier deploy left it: acme.json owned by
 * root, mode 0600.
 */

const STACK = `proxy-start-${RUN_ID}`;
const IMAGE = `frappe-pulumi-proxy-start-test:${RUN_ID}`;
const VOLUME = `${STACK}-cert-data`;

const FAKE_TRAEFIK = [
    "#!/bin/sh",
    'echo "uid=$(id -u) gid=$(id -g) args=$*"',
    "grep CapEff /proc/self/status",
    `echo renewed > ${CERT_DIR}/acme.json && echo wrote`,
    "",
].join("\n");

function buildImage(): void {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "proxy-start-image-"));
    const busybox = firstExisting(BUSYBOX_CANDIDATES);
    assert.ok(busybox, "static busybox");
    for (const dir of ["bin", "etc", "usr/local/bin", "proc", "sys", "dev"]) {
        fs.mkdirSync(path.join(root, dir), { recursive: true });
    }
    fs.copyFileSync(busybox, path.join(root, "bin", "busybox"));
    fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
    for (const applet of ["sh", "su", "chown", "mkdir", "id", "grep", "echo", "ls", "stat", "cat", "chmod"]) {
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

    it("hands the volume to nobody, then runs Traefik as nobody with its own arguments and no capability", () => {
        const r = docker([
            "run",
            "--rm",
            "--label",
            `${TEST_LABEL}=${RUN_ID}`,
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
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^uid=65534 gid=65534 args=--ping=true --entrypoints\.web\.address=:80$/m);
        assert.match(r.stdout, /^CapEff:\s+0+$/m);
        assert.match(r.stdout, /^wrote$/m);
        const owner = dockerOk([
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
        assert.equal(owner, "65534:65534 600");
    });

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
