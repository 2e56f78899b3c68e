import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { containerScript, dockerRunArgs, jobCommand, secretStdin } from "../components/bench/jobRun";
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
};
const NAMES = {
    stack: "staging",
    image: "ghcr.io/acme/erp:v1.0.0@sha256:" + "a".repeat(64),
    network: "frappe-staging-network",
    volumes: { sites: "frappe-staging-sites" },
};

/** Runs the job's local program with the stand-in Docker CLI; returns exit code, stderr and the calls made. */
function runLocally(env: Record<string, string>) {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "job-")), "calls");
    const r = spawnSync("sh", ["-c", jobCommand(SPEC, NAMES)], {
        input: secretStdin(SPEC, { dbPassword: "pw" }),
        encoding: "utf8",
        env: {
            PATH: `${path.join(__dirname, "fakebin")}:${process.env.PATH ?? ""}`,
            FRAPPE_JOB_SCRIPT: containerScript(SPEC),
            FAKE_DOCKER_LOG: log,
            ...env,
        },
    });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    return { status: r.status, stderr: r.stderr, calls };
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

    it("passes the script to docker run as one intact argument and removes the container on success", () => {
        const r = runLocally({});
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, ["inspect", "run", "rm"]);
    });

    it("fails with the job's name, exit code and the way forward, keeping the container", () => {
        const r = runLocally({ FAKE_DOCKER_EXIT: "3" });
        assert.equal(r.status, 3);
        assert.match(
            r.stderr,
            /^Job migrate \(migrate every site with the new image\) failed with exit code 3; nothing after it was deployed\. Its container is kept: docker logs frappe-staging-migrate\. Fix the cause and run pulumi up again/,
        );
        assert.deepEqual(r.calls, ["inspect", "run"]);
    });

    it("removes a finished container of an earlier run first", () => {
        const r = runLocally({ FAKE_DOCKER_STATUS: "exited" });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, ["inspect", "rm", "run", "rm"]);
    });

    it("refuses to start while an earlier run of the same job is still running", () => {
        const r = runLocally({ FAKE_DOCKER_STATUS: "running" });
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /frappe-staging-migrate is still running from an earlier deploy; wait for it: docker wait frappe-staging-migrate/,
        );
        assert.deepEqual(r.calls, ["inspect"]);
    });
});
