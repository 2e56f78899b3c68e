import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./harness";

const FAKES = path.join(__dirname, "cifakes");
/** The stand-ins always on PATH; test/cifakes/dockerd is on PATH only where the machine has a daemon installed. */
const CLIENT_FAKES = ["apt-get", "docker", "dpkg-query", "id"];
/** Real tools engine.sh and the stand-ins use; nothing else of the host's PATH is visible (no real docker or dockerd). */
const REAL_TOOLS = ["sh", "grep", "ls", "seq", "nohup", "sleep", "tail", "touch", "mkdir", "ln"];

function which(tool: string): string {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, tool);
        if (fs.existsSync(candidate)) return candidate;
    }
    throw new Error(`${tool} is not on PATH`);
}

interface Machine {
    /** Debian packages installed before the run (dpkg-query). */
    readonly installed: string[];
    /** Whether a dockerd binary is on PATH (docker.io or docker-ce installed). */
    readonly dockerd: boolean;
    /** Whether an engine already answers `docker info`. */
    readonly running?: boolean;
    readonly env?: Record<string, string>;
}

/**
 * Runs .ci/engine.sh for real on a stand-in machine: a PATH of its own holding only the stand-ins
 * (test/cifakes), a few real tools, and dockerd only when the machine has one.
 */
function engineScript(machine: Machine) {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "ci-engine-"));
    const bin = path.join(state, "bin");
    const sbin = path.join(state, "sbin");
    fs.mkdirSync(bin);
    fs.mkdirSync(sbin);
    for (const tool of REAL_TOOLS) fs.symlinkSync(which(tool), path.join(bin, tool));
    for (const fake of CLIENT_FAKES) fs.symlinkSync(path.join(FAKES, fake), path.join(bin, fake));
    if (machine.dockerd) fs.symlinkSync(path.join(FAKES, "dockerd"), path.join(sbin, "dockerd"));
    if (machine.running === true) fs.writeFileSync(path.join(state, "up"), "");
    const r = spawnSync(which("bash"), [path.join(REPO_ROOT, ".ci", "engine.sh")], {
        encoding: "utf8",
        timeout: 30_000,
        env: {
            PATH: `${bin}:${sbin}`,
            FAKE_STATE: state,
            FAKE_PKGS: FAKES,
            FAKE_SBIN: sbin,
            FAKE_INSTALLED: machine.installed.join(" "),
            DOCKERD_LOG: path.join(state, "dockerd.log"),
            ...machine.env,
        },
    });
    const pidFile = path.join(state, "pid");
    if (fs.existsSync(pidFile)) {
        try {
            process.kill(Number(fs.readFileSync(pidFile, "utf8")));
        } catch {
            // already gone
        }
    }
    const callsFile = path.join(state, "calls");
    const calls = fs.existsSync(callsFile) ? fs.readFileSync(callsFile, "utf8").trim().split("\n") : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

const TEST_IMAGE_PACKAGES = ["busybox-static", "bash-static"];
const EVERYTHING = ["docker.io", ...TEST_IMAGE_PACKAGES];

/**
 * .ci/engine.sh's decisions, run for real with stand-ins for docker, dockerd, dpkg-query, apt-get and
 * id (test/cifakes): install only what is missing, decide on the daemon and not the client, leave a
 * running engine alone, start dockerd and wait for it, and fail clearly when it crashes, never
 * answers, or root is needed but missing.
 */
describe(".ci/engine.sh", function () {
    this.timeout(20_000);

    it("on a fresh CI machine (a Docker client on PATH, no dockerd) installs docker.io, then starts dockerd", () => {
        const r = engineScript({ installed: [], dockerd: false, env: { FAKE_DOCKERD: "up" } });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(
            r.calls.filter((c) => c.startsWith("apt-get")),
            [
                "apt-get update -qq",
                "apt-get install -y -qq --no-install-recommends docker.io busybox-static bash-static",
            ],
        );
        assert.equal(r.calls.filter((c) => c.startsWith("dockerd")).length, 1);
        assert.match(r.stdout, /installing docker\.io[\s\S]*starting dockerd[\s\S]*Docker 99\.0-fake is running/);
    });

    it("leaves a machine with everything installed and a running engine alone", () => {
        const r = engineScript({ installed: EVERYTHING, dockerd: true, running: true, env: { FAKE_UID: "1000" } });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /Docker 99\.0-fake is running/);
        assert.ok(!r.calls.some((c) => /^(apt-get|dockerd)/.test(c)), r.calls.join("\n"));
    });

    it("uses an engine that answers without a local dockerd (Docker Desktop, DOCKER_HOST): no docker.io", () => {
        const r = engineScript({ installed: TEST_IMAGE_PACKAGES, dockerd: false, running: true });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(!r.calls.some((c) => /^(apt-get|dockerd)/.test(c)), r.calls.join("\n"));
    });

    it("starts an installed dockerd that is not running (docker-ce's) without installing docker.io over it", () => {
        const r = engineScript({
            installed: ["docker-ce", "docker-ce-cli", ...TEST_IMAGE_PACKAGES],
            dockerd: true,
            env: { FAKE_DOCKERD: "up" },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(!r.calls.some((c) => c.startsWith("apt-get")), r.calls.join("\n"));
        assert.match(r.stdout, /starting dockerd[\s\S]*Docker 99\.0-fake is running \(dockerd pid \d+\)/);
    });

    it("installs only the missing packages, then starts dockerd and waits for it", () => {
        const r = engineScript({
            installed: ["docker.io", "busybox-static"],
            dockerd: true,
            env: { FAKE_DOCKERD: "up" },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(
            r.calls.filter((c) => c.startsWith("apt-get")),
            ["apt-get update -qq", "apt-get install -y -qq --no-install-recommends bash-static"],
        );
        assert.equal(r.calls.filter((c) => c.startsWith("dockerd")).length, 1);
        assert.match(r.stdout, /starting dockerd[\s\S]*Docker 99\.0-fake is running \(dockerd pid \d+\)/);
    });

    it("fails with the end of dockerd's log when dockerd exits during startup", () => {
        const r = engineScript({ installed: EVERYTHING, dockerd: true, env: { FAKE_DOCKERD: "crash" } });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /dockerd exited during startup[\s\S]*failed to start daemon: boom/);
    });

    it("gives up after DOCKERD_WAIT_SECONDS when dockerd never answers", () => {
        const r = engineScript({
            installed: EVERYTHING,
            dockerd: true,
            env: { FAKE_DOCKERD: "hang", DOCKERD_WAIT_SECONDS: "2" },
        });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /dockerd did not answer within 2s \(DOCKERD_WAIT_SECONDS\)[\s\S]*fake dockerd log line/);
    });

    it("asks for root instead of failing half-way when it must install or start something", () => {
        const install = engineScript({ installed: [], dockerd: false, env: { FAKE_UID: "1000" } });
        assert.equal(install.status, 1);
        assert.match(
            install.stderr,
            /installing docker\.io busybox-static bash-static needs root; run: sudo bash \.ci\/engine\.sh/,
        );
        assert.ok(!install.calls.some((c) => c.startsWith("apt-get")));
        const start = engineScript({
            installed: EVERYTHING,
            dockerd: true,
            env: { FAKE_UID: "1000", FAKE_DOCKERD: "up" },
        });
        assert.equal(start.status, 1);
        assert.match(start.stderr, /starting dockerd needs root/);
        assert.ok(!start.calls.some((c) => c.startsWith("dockerd")));
    });

    it("passes shellcheck, with its stand-ins", function () {
        const fakes = fs.readdirSync(FAKES).map((f) => path.join(FAKES, f));
        const r = spawnSync("shellcheck", [path.join(REPO_ROOT, ".ci", "engine.sh"), ...fakes], { encoding: "utf8" });
        if (r.error !== undefined) {
            console.log(`      shellcheck SKIPPED: ${r.error.message} (apt-get install shellcheck)`);
            this.skip();
        }
        assert.equal(r.status, 0, r.stdout);
    });
});

/** The stand-ins apply the rules of what they stand for, both ways (test/cifakes/apt-get cites them). */
describe(".ci/engine.sh stand-ins", () => {
    function aptGet(args: string[], machine: { installed: string[]; uid?: string }) {
        const state = fs.mkdtempSync(path.join(os.tmpdir(), "ci-apt-"));
        const sbin = path.join(state, "sbin");
        fs.mkdirSync(sbin);
        const r = spawnSync(path.join(FAKES, "apt-get"), args, {
            encoding: "utf8",
            env: {
                PATH: `${FAKES}:${process.env.PATH ?? ""}`,
                FAKE_STATE: state,
                FAKE_PKGS: FAKES,
                FAKE_SBIN: sbin,
                FAKE_INSTALLED: machine.installed.join(" "),
                FAKE_UID: machine.uid ?? "0",
            },
        });
        const dpkg = (pkg: string) =>
            spawnSync(path.join(FAKES, "dpkg-query"), ["-W", "-f", "${Status}", pkg], {
                env: { FAKE_STATE: state, FAKE_INSTALLED: machine.installed.join(" ") },
            }).status === 0;
        return { status: r.status, stderr: r.stderr, dockerd: fs.existsSync(path.join(sbin, "dockerd")), dpkg };
    }

    it("apt-get installs docker.io as root: dockerd appears and dpkg-query reports the package", () => {
        const r = aptGet(["install", "-y", "docker.io"], { installed: [] });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(r.dockerd);
        assert.ok(r.dpkg("docker.io"));
        assert.ok(!r.dpkg("bash-static"));
    });

    it("apt-get refuses to install without root, and docker.io beside docker-ce-cli", () => {
        const user = aptGet(["install", "-y", "docker.io"], { installed: [], uid: "1000" });
        assert.equal(user.status, 100);
        assert.match(user.stderr, /Permission denied/);
        assert.ok(!user.dockerd);
        const conflict = aptGet(["install", "-y", "docker.io"], { installed: ["docker-ce-cli"] });
        assert.equal(conflict.status, 100);
        assert.match(conflict.stderr, /docker\.io conflicts with docker-ce-cli/);
        assert.ok(!conflict.dockerd);
    });
});
