import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./harness";

/**
 * .ci/engine.sh's decisions, run for real with stand-ins for docker, dockerd, dpkg-query, apt-get and
 * id (test/cifakes): install only what is missing, leave a running engine alone, start dockerd and
 * wait for it, and fail clearly when it crashes, never answers, or root is needed but missing.
 */
function engineScript(env: Record<string, string>) {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "ci-engine-"));
    const r = spawnSync("bash", [path.join(REPO_ROOT, ".ci", "engine.sh")], {
        encoding: "utf8",
        timeout: 30_000,
        env: {
            PATH: `${path.join(__dirname, "cifakes")}:${process.env.PATH ?? ""}`,
            FAKE_STATE: state,
            DOCKERD_LOG: path.join(state, "dockerd.log"),
            ...env,
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

describe(".ci/engine.sh", function () {
    this.timeout(20_000);

    it("leaves a machine with everything installed and a running engine alone", () => {
        const state = fs.mkdtempSync(path.join(os.tmpdir(), "ci-engine-up-"));
        fs.writeFileSync(path.join(state, "up"), "");
        const r = engineScript({ FAKE_STATE: state, FAKE_UID: "1000" });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /Docker 99\.0-fake is running/);
        assert.ok(!r.calls.some((c) => /^(apt-get|dockerd)/.test(c)), r.calls.join("\n"));
    });

    it("installs only the missing packages, then starts dockerd and waits for it", () => {
        const r = engineScript({ FAKE_MISSING: "bash-static", FAKE_DOCKERD: "up" });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(
            r.calls.filter((c) => c.startsWith("apt-get")),
            ["apt-get update -qq", "apt-get install -y -qq --no-install-recommends bash-static"],
        );
        assert.equal(r.calls.filter((c) => c.startsWith("dockerd")).length, 1);
        assert.match(r.stdout, /starting dockerd[\s\S]*Docker 99\.0-fake is running \(dockerd pid \d+\)/);
    });

    it("fails with the end of dockerd's log when dockerd exits during startup", () => {
        const r = engineScript({ FAKE_DOCKERD: "crash" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /dockerd exited during startup[\s\S]*failed to start daemon: boom/);
    });

    it("gives up after DOCKERD_WAIT_SECONDS when dockerd never answers", () => {
        const r = engineScript({ FAKE_DOCKERD: "hang", DOCKERD_WAIT_SECONDS: "2" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /dockerd did not answer within 2s \(DOCKERD_WAIT_SECONDS\)[\s\S]*fake dockerd log line/);
    });

    it("asks for root instead of failing half-way when it must install or start something", () => {
        const install = engineScript({ FAKE_MISSING: "busybox-static", FAKE_UID: "1000" });
        assert.equal(install.status, 1);
        assert.match(install.stderr, /installing busybox-static needs root; run: sudo bash \.ci\/engine\.sh/);
        const start = engineScript({ FAKE_UID: "1000", FAKE_DOCKERD: "up" });
        assert.equal(start.status, 1);
        assert.match(start.stderr, /starting dockerd needs root/);
        assert.ok(!start.calls.some((c) => c.startsWith("dockerd")));
    });

    it("passes shellcheck, with its stand-ins", function () {
        const fakes = fs.readdirSync(path.join(__dirname, "cifakes")).map((f) => path.join(__dirname, "cifakes", f));
        const r = spawnSync("shellcheck", [path.join(REPO_ROOT, ".ci", "engine.sh"), ...fakes], { encoding: "utf8" });
        if (r.error !== undefined) {
            console.log(`      shellcheck SKIPPED: ${r.error.message} (apt-get install shellcheck)`);
            this.skip();
        }
        assert.equal(r.status, 0, r.stdout);
    });
});
