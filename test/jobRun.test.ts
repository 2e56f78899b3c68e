import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createHash } from "crypto";
import { containerScript, dockerRunArgs, jobCommand, runToken, secretStdin } from "../components/bench/jobRun";
import { JobSpec } from "../components/bench/model";

const SPEC: JobSpec = {
    kind: "job",
    key: "migrate",
    role: "migrate",
    description: "migrate every site with the new image",
    image: { kind: "frappe" },
    entrypoint: ["bash", "-c"],
    command: ["set -euo pipefail\necho 'it'\"'\"'s quoted' \"$HOME\" $(true)"],
    env: { FRAPPE_STACK: "staging", DB_ROOT_USER: "root" },
    secretFiles: [{ secret: "dbPassword", path: "/run/secrets/db-root-password", owner: "1000", mode: "0400" }],
    files: [],
    mounts: [{ volume: "sites", containerPath: "/home/frappe/frappe-bench/sites" }],
    after: [],
    chainsLaterJobs: true,
    triggers: [],
};
/** sha256 prefix of jobCommand(SPEC, NAMES); update it only together with a note in the release. */
const JOB_PROGRAM_FINGERPRINT = "e408b45602a9196d";

const NAMES = {
    stack: "staging",
    image: "ghcr.io/acme/erp:v1.0.0@sha256:" + "a".repeat(64),
    network: "frappe-staging-network",
    volumes: { sites: "frappe-staging-sites" },
};

/** Runs the job's local program with the stand-in Docker CLI; returns exit code, output and the calls made. */
function runLocally(env: Record<string, string>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "job-"));
    const log = path.join(dir, "calls");
    const argv = path.join(dir, "argv");
    const r = spawnSync("sh", ["-c", jobCommand(SPEC, NAMES)], {
        input: secretStdin(SPEC, { dbPassword: "pw" }),
        encoding: "utf8",
        env: {
            PATH: `${path.join(__dirname, "fakebin")}:${process.env.PATH ?? ""}`,
            FRAPPE_JOB_SCRIPT: containerScript(SPEC),
            FAKE_DOCKER_LOG: log,
            FAKE_DOCKER_ARGV: argv,
            ...env,
        },
    });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    const runArgs = fs.existsSync(argv) ? fs.readFileSync(argv, "utf8").split("\0").slice(0, -1) : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls, runArgs };
}

describe("running a job through the Docker CLI", () => {
    it("builds the exact docker run arguments", () => {
        assert.deepEqual(dockerRunArgs(SPEC, NAMES), [
            "docker",
            "run",
            "-i",
            "--name",
            "frappe-staging-migrate",
            "--network",
            "frappe-staging-network",
            "--volume",
            "frappe-staging-sites:/home/frappe/frappe-bench/sites",
            "--env",
            "DB_ROOT_USER=root",
            "--env",
            "FRAPPE_STACK=staging",
            "--label",
            "frappe.role=migrate",
            "--label",
            "frappe.stack=staging",
            "--tmpfs",
            "/run/secrets:uid=1000,gid=1000,mode=0700",
            "--entrypoint",
            "bash",
            NAMES.image,
            "-c",
        ]);
    });

    it("hands secrets over as base64 lines the container prelude decodes", () => {
        assert.equal(
            secretStdin(SPEC, { dbPassword: "p\nw d" }),
            `/run/secrets/db-root-password ${Buffer.from("p\nw d").toString("base64")}\n`,
        );
        assert.throws(() => secretStdin(SPEC, {}), /secret dbPassword is needed/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-"));
        const file = path.join(dir, "pw");
        const prelude = containerScript({ ...SPEC, command: ["cat " + file] });
        const r = spawnSync("bash", ["-c", prelude], {
            input: `${file} ${Buffer.from("s3cr3t with spaces\nand a newline").toString("base64")}\n`,
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "s3cr3t with spaces\nand a newline");
        assert.equal((fs.statSync(file).mode & 0o777).toString(8), "400");
    });

    it("runs exactly dockerRunArgs plus the script, prints the run token and removes the container on success", () => {
        const r = runLocally({});
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.runArgs, [...dockerRunArgs(SPEC, NAMES).slice(2), containerScript(SPEC)]);
        assert.equal(r.stdout, "frappe-job-run: c0ffeefrappe-staging-migrate\n");
        assert.equal(runToken(r.stdout), "c0ffeefrappe-staging-migrate");
        assert.deepEqual(r.calls, ["container-inspect", "run", "container-inspect", "rm"]);
    });

    it("fails with the job's name, exit code and the way forward, keeping the container", () => {
        const r = runLocally({ FAKE_DOCKER_EXIT: "3" });
        assert.equal(r.status, 3);
        assert.match(
            r.stderr,
            /^Job migrate \(migrate every site with the new image\) failed with exit code 3; nothing after it was deployed\. Its container is kept: docker logs frappe-staging-migrate\. Fix the cause and run pulumi up again/,
        );
        assert.equal(r.stdout, "", "no run token: the step did not happen");
        assert.deepEqual(r.calls, ["container-inspect", "run"]);
    });

    it("removes a finished container of an earlier run first", () => {
        for (const status of ["exited", "created", "dead"]) {
            const r = runLocally({ FAKE_DOCKER_STATUS: status });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.calls, ["container-inspect", "rm", "run", "container-inspect", "rm"]);
        }
    });

    it("refuses to start while an earlier run of the same job is still active", () => {
        for (const status of ["running", "paused", "restarting"]) {
            const r = runLocally({ FAKE_DOCKER_STATUS: status });
            assert.equal(r.status, 1);
            assert.match(
                r.stderr,
                /frappe-staging-migrate is still active from an earlier deploy; wait for it: docker wait frappe-staging-migrate/,
            );
            assert.deepEqual(r.calls, ["container-inspect"]);
        }
    });

    it("tells an unreachable Docker apart from a missing container", () => {
        const r = runLocally({ FAKE_DOCKER_UNREACHABLE: "1" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^cannot reach Docker to run job migrate: Cannot connect to the Docker daemon/);
    });

    it("fails the container when a secret is empty or undecodable, instead of running bench without it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secrets-"));
        const file = path.join(dir, "pw");
        const prelude = containerScript({ ...SPEC, command: ["echo ran"] });
        for (const input of [`${file} \n`, `${path.join(dir, "missing", "pw")} cHc=\n`]) {
            const r = spawnSync("bash", ["-c", prelude], { input, encoding: "utf8" });
            assert.notEqual(r.status, 0, input);
            assert.match(r.stderr, /secret .* was not written/);
            assert.doesNotMatch(r.stdout, /ran/);
        }
        const last = spawnSync("bash", ["-c", containerScript({ ...SPEC, command: [`cat ${file}`] })], {
            input: `${file} ${Buffer.from("no newline at the end").toString("base64")}`,
            encoding: "utf8",
        });
        assert.equal(last.stdout, "no newline at the end", last.stderr);
    });

    it("pins the job program: changing it runs every job of every stack again", () => {
        // Deliberate: when this fails, the change reaches production as a full maintenance window.
        assert.equal(
            createHash("sha256").update(jobCommand(SPEC, NAMES)).digest("hex").slice(0, 16),
            JOB_PROGRAM_FINGERPRINT,
        );
    });
});
