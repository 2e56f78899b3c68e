import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    containerScript,
    dockerRunArgs,
    JOB_CREATE,
    jobEnvironment,
    runToken,
    SECRET_PRELUDE,
    secretStdin,
} from "../components/jobs/jobRun";
import { JobSpec } from "../components/bench/model/types";
import { readScript, SCRIPT_FILES, SCRIPTS_DIR_FROM_PROJECT } from "../components/bench/scriptFiles";
import { jobs, REPO_ROOT, runProgram } from "./harness";
import { copyRepository, RepoCopy } from "./repoCopy";

const SPEC: JobSpec = {
    kind: "job",
    networks: ["bench"],
    key: "migrate",
    role: "migrate",
    description: "migrate every site with the new image",
    image: { kind: "frappe" },
    entrypoint: ["bash", "-c"],
    script: "migrate.sh",
    helpers: [],
    params: { FRAPPE_STACK: "staging", DB_ROOT_USER: "root" },
    secretFiles: [{ secret: "dbPassword", path: "/run/secrets/db-root-password", owner: 1000, mode: "0400" }],
    files: [],
    mounts: [{ volume: "sites", containerPath: "/home/frappe/frappe-bench/sites" }],
    after: [],
    chainsLaterJobs: true,
    followsChain: true,
    rerunAfter: [],
    triggers: [],
};

const NAMES = {
    stack: "staging",
    image: "ghcr.io/acme/erp:v1.0.0@sha256:" + "a".repeat(64),
    networks: ["frappe-staging-bench"],
    volumes: { sites: "frappe-staging-sites" },
};

/** Runs the job's local program with the stand-in Docker CLI; returns exit code, output and the calls made. */
function runLocally(env: Record<string, string>, spec: JobSpec = SPEC) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "job-"));
    const log = path.join(dir, "calls");
    const argv = path.join(dir, "argv");
    // As the command provider runs it: `create` through /bin/sh -c, in the project directory.
    const r = spawnSync("/bin/sh", ["-c", JOB_CREATE], {
        cwd: REPO_ROOT,
        input: secretStdin(spec, { dbPassword: "pw" }),
        encoding: "utf8",
        env: {
            PATH: `${path.join(__dirname, "fakebin")}:${process.env.PATH ?? ""}`,
            ...jobEnvironment(spec, NAMES),
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
            "frappe-staging-bench",
            "--volume",
            "frappe-staging-sites:/home/frappe/frappe-bench/sites",
            "--env",
            "DB_ROOT_USER=root",
            "--env",
            `FRAPPE_IMAGE=${NAMES.image}`,
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
        const r = spawnSync("bash", ["-c", `${SECRET_PRELUDE}\ncat ${file}`], {
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
        // The script the container runs is the prelude and the job's file, read when the job runs.
        assert.equal(containerScript(SPEC), `${readScript("secret-prelude.sh")}${readScript("migrate.sh")}`.trimEnd());
        assert.equal(r.stdout, "frappe-job-run: c0ffeefrappe-staging-migrate\n");
        assert.equal(runToken(r.stdout), "c0ffeefrappe-staging-migrate");
        assert.deepEqual(r.calls, ["container-inspect", "create", "start", "container-inspect", "rm -v"]);
    });

    it("creates a job on its first network and connects it to the others before it starts", () => {
        const spec: JobSpec = { ...SPEC, networks: ["data", "bench"] };
        const names = { ...NAMES, networks: ["frappe-staging-data", "frappe-staging-bench"] };
        const env = jobEnvironment(spec, names);
        assert.equal(env.FRAPPE_JOB_NETWORKS, "frappe-staging-bench");
        assert.ok(env.FRAPPE_JOB_RUN_ARGS.includes("--network\nfrappe-staging-data\n"));
        assert.equal(jobEnvironment(SPEC, NAMES).FRAPPE_JOB_NETWORKS, undefined, "one network: nothing to connect");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "networks-"));
        const connected = path.join(dir, "connected");
        const r = runLocally({ ...env, FAKE_DOCKER_NETWORKS: connected });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, [
            "container-inspect",
            "create",
            "network-connect",
            "start",
            "container-inspect",
            "rm -v",
        ]);
        assert.equal(fs.readFileSync(connected, "utf8"), "frappe-staging-bench\n");
        assert.equal(r.runArgs.filter((a) => a === "--network").length, 1);
    });

    it("does not start a job whose network cannot be connected, and keeps it for the next run to remove", () => {
        const spec: JobSpec = { ...SPEC, networks: ["data", "bench"] };
        const names = { ...NAMES, networks: ["frappe-staging-data", "frappe-staging-bench"] };
        const r = runLocally({ ...jobEnvironment(spec, names), FAKE_DOCKER_NO_NETWORK: "frappe-staging-bench" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /network frappe-staging-bench not found/);
        assert.match(r.stderr, /^Job migrate .* failed with exit code 1/m);
        assert.ok(!r.calls.includes("start"), "never started");
        assert.equal(r.stdout, "", "no run token");
    });

    it("the stand-in Docker CLI refuses a container created on two networks, as engines before API 1.44 do", () => {
        const twice = ["--name", "x", "--network", "a", "--network", "b", "img"];
        for (const sub of ["run", "create"]) {
            const r = spawnSync(path.join(__dirname, "fakebin", "docker"), [sub, ...twice], { encoding: "utf8" });
            assert.equal(r.status, 125, sub);
            assert.match(r.stderr, /Container cannot be connected to network endpoints: a, b/);
            const once = spawnSync(path.join(__dirname, "fakebin", "docker"), [sub, "--network", "a", "img"], {
                encoding: "utf8",
                input: "",
            });
            assert.equal(once.status, 0, sub);
        }
    });

    it("fails with the job's name, exit code and the way forward, keeping the container", () => {
        const r = runLocally({ FAKE_DOCKER_EXIT: "3" });
        assert.equal(r.status, 3);
        assert.match(
            r.stderr,
            /^Job migrate \(migrate every site with the new image\) failed with exit code 3; nothing after it was deployed\. Its container is kept: docker logs frappe-staging-migrate\. Fix the cause and run pulumi up again/,
        );
        assert.equal(r.stdout, "", "no run token: the step did not happen");
        assert.deepEqual(r.calls, ["container-inspect", "create", "start"]);
    });

    it("removes a finished container of an earlier run first", () => {
        for (const status of ["exited", "created", "dead"]) {
            const r = runLocally({ FAKE_DOCKER_STATUS: status });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.calls, ["container-inspect", "rm -v", "create", "start", "container-inspect", "rm -v"]);
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
        const prelude = `${SECRET_PRELUDE}\necho ran`;
        for (const input of [`${file} \n`, `${path.join(dir, "missing", "pw")} cHc=\n`]) {
            const r = spawnSync("bash", ["-c", prelude], { input, encoding: "utf8" });
            assert.notEqual(r.status, 0, input);
            assert.match(r.stderr, /secret .* was not written/);
            assert.doesNotMatch(r.stdout, /ran/);
        }
        const last = spawnSync("bash", ["-c", `${SECRET_PRELUDE}\ncat ${file}`], {
            input: `${file} ${Buffer.from("no newline at the end").toString("base64")}`,
            encoding: "utf8",
        });
        assert.equal(last.stdout, "no newline at the end", last.stderr);
    });
});

/** A table of the stack's containers as the stand-in Docker CLI reads it (test/fakebin/docker). */
function containersFile(lines: string[]): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "containers-")), "table");
    fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(""));
    return file;
}

describe("jobs that look at the running stack, and their helpers", () => {
    const SITES: JobSpec = {
        ...SPEC,
        key: "sites",
        script: "sites.sh",
        image: { kind: "running", process: "backend" },
        helpers: ["backup.sh"],
    };
    const FROM = { FRAPPE_JOB_IMAGE_FROM: "container frappe-staging-backend" };

    it("runs the image the backend container runs now, where the arguments say {image}", () => {
        const args = dockerRunArgs(SITES, NAMES);
        assert.ok(!args.includes(NAMES.image), "no image among its inputs");
        assert.deepEqual(args.slice(-3), ["bash", "{image}", "-c"]);
        assert.ok(args.includes("FRAPPE_IMAGE={image}"));
        const running = "frappe/erpnext:v15.88.1@sha256:" + "b".repeat(64);
        const table = containersFile([`frappe-staging-backend staging backend running healthy ${running} -`]);
        const r = runLocally({ ...FROM, FAKE_DOCKER_CONTAINERS: table }, SITES);
        assert.equal(r.status, 0, r.stderr);
        const image = r.runArgs.indexOf(running);
        assert.equal(r.runArgs[image - 1], "bash", "the image goes where {image} was");
        assert.ok(r.runArgs.includes(`FRAPPE_IMAGE=${running}`));
        assert.ok(!r.runArgs.some((a) => a.includes("{image}")));
    });

    it("fails naming the container when no backend runs, and runs nothing", () => {
        const r = runLocally({ ...FROM, FAKE_DOCKER_CONTAINERS: containersFile([]) }, SITES);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /job sites: cannot tell which image the container frappe-staging-backend runs/);
        assert.ok(!r.calls.includes("create"));
    });

    it("writes each helper into the container with a quoted here-document, as containerScript says", () => {
        const table = containersFile(["frappe-staging-backend staging backend running healthy img -"]);
        const r = runLocally({ ...FROM, FAKE_DOCKER_CONTAINERS: table }, SITES);
        assert.equal(r.status, 0, r.stderr);
        const script = r.runArgs[r.runArgs.length - 1];
        assert.equal(script, containerScript(SITES));
        assert.ok(
            script.includes(
                `cat > "$FRAPPE_JOB_HELPERS_DIR/backup.sh" <<'FRAPPE_JOB_HELPER_END'\n${readScript("backup.sh").trimEnd()}\nFRAPPE_JOB_HELPER_END\n`,
            ),
        );
        // Run as the container would: the helper lands byte for byte, nothing in it expanded.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helpers-"));
        const copy = spawnSync(
            "bash",
            [
                "-c",
                `${script.split(readScript("sites.sh").trimEnd())[0]}cp "$FRAPPE_JOB_HELPERS_DIR/backup.sh" ${dir}/`,
            ],
            {
                input: secretStdin(SITES, { dbPassword: "pw" }).replace("/run/secrets/", `${dir}/`),
                encoding: "utf8",
            },
        );
        assert.equal(copy.status, 0, copy.stderr);
        assert.equal(fs.readFileSync(path.join(dir, "backup.sh"), "utf8"), readScript("backup.sh").trimEnd() + "\n");
        // The revision covers the helpers: a change to backup.sh runs the sites job again.
        assert.equal(jobEnvironment(SITES, NAMES).FRAPPE_JOB_REVISION, "2.1.2+backup.sh:2");
    });

    it("skips the container with a fixed token when the database guard finds nothing to guard", () => {
        const guard = {
            DBGUARD_ENGINE: "mariadb",
            DBGUARD_KIND: "container",
            DBGUARD_NAME: "frappe-staging-db",
            DBGUARD_IMAGE: "mariadb:11.8",
        };
        const none = runLocally({ ...guard, FAKE_DOCKER_CONTAINERS: containersFile([]) });
        assert.equal(none.status, 0, none.stderr);
        assert.equal(none.stdout.trim().split("\n").pop(), "frappe-job-run: skipped:frappe-staging-migrate");
        assert.ok(!none.calls.includes("create"));
        const older = containersFile([
            "frappe-staging-db - - running healthy mariadb:11.8 MARIADB_VERSION=1:11.8.2+maria~ubu2404",
        ]);
        const refused = runLocally({ ...guard, DBGUARD_IMAGE: "mariadb:10.11", FAKE_DOCKER_CONTAINERS: older });
        assert.equal(refused.status, 1);
        assert.match(refused.stderr, /a downgrade of the major version is refused/);
        assert.ok(!refused.calls.includes("create"), "refused before its container starts");
    });
});

describe("jobs re-run for what they do, not for how their scripts are worded", () => {
    const SECRETS = { dbPassword: "Db-Secret", adminPassword: "Admin-Secret" };
    const CONFIG = {
        tag: "v15.88.1",
        sites: [
            { name: "erp.example.com", apps: ["erpnext", "hrms"] },
            { name: "crm.example.com", apps: ["crm"] },
        ],
        restore: { site: "crm.example.com", backup: "20261120_040000" },
    };

    /** Every job's command inputs (what pulumi-command compares: a change to one of them runs `create` again). */
    async function jobInputs(
        config: Record<string, unknown>,
        run: typeof runProgram = runProgram,
        list: typeof jobs = jobs,
    ): Promise<Map<string, string>> {
        const r = await run({ stack: "staging", config, secrets: SECRETS });
        assert.equal(r.error, undefined, r.error?.message);
        return new Map(
            list(r).map((j) => [
                j.name.replace(/^frappe-bench-/, ""),
                JSON.stringify([j.inputs.create, j.inputs.environment, j.inputs.stdin, j.inputs.triggers]),
            ]),
        );
    }

    /** Job inputs of a copy of the repository after `edit` (the checkout's own files stay as they are). */
    async function jobInputsOfCopy(edit: (copy: RepoCopy) => void): Promise<Map<string, string>> {
        const copy = copyRepository();
        try {
            edit(copy);
            const harness = await copy.harness();
            return await jobInputs(CONFIG, harness.runProgram, harness.jobs);
        } finally {
            copy.remove();
        }
    }

    function differing(a: Map<string, string>, b: Map<string, string>): string[] {
        assert.deepEqual([...a.keys()], [...b.keys()]);
        return [...a.keys()].filter((k) => a.get(k) !== b.get(k)).sort();
    }

    /** Rewords every message and reformats every shell script (the wrapper too) of a copy. */
    function reword(copy: RepoCopy): void {
        for (const f of SCRIPT_FILES.filter((name) => name.endsWith(".sh"))) {
            copy.edit(`${SCRIPTS_DIR_FROM_PROJECT}/${f}`, (text) =>
                text
                    .replace(/echo "/g, 'echo "note: ')
                    .replace(/^(\s*)(set -eu(?:o pipefail)?)$/m, "$1# reformatted\n$1$2\n"),
            );
        }
    }

    it("keeps every job's inputs when the scripts and the wrapper are reworded and reformatted", async () => {
        const before = await jobInputs(CONFIG);
        const after = await jobInputsOfCopy(reword);
        assert.deepEqual(differing(before, after), []);
        for (const inputs of before.values()) {
            assert.doesNotMatch(inputs, /pipefail|bench --site/, "no script text among the inputs");
        }
    });

    it("changes the inputs of every job that runs the new image, and of one job for its parameter", async () => {
        const before = await jobInputs(CONFIG);
        const image = await jobInputs({ ...CONFIG, tag: "v15.89.0" });
        // The database guard and the sites job run the image the backend runs: no image among their inputs.
        const running = ["db-upgrade", "sites"];
        assert.deepEqual(differing(before, image), [...before.keys()].filter((k) => !running.includes(k)).sort());
        const apps = await jobInputs({
            ...CONFIG,
            sites: [CONFIG.sites[0], { name: "crm.example.com", apps: ["crm", "helpdesk"] }],
        });
        assert.deepEqual(differing(before, apps), ["sites"]);
    });

    it("changes a job's inputs when its script's revision is bumped, and only that job's", async () => {
        const before = await jobInputs(CONFIG);
        const bump = (script: string) => (copy: RepoCopy) =>
            copy.edit("components/jobs/revisions.ts", (text) =>
                text.replace(
                    new RegExp(`("${script}": \\{ revision: )(\\d+)`),
                    (_, head: string, n: string) => `${head}${Number(n) + 1}`,
                ),
            );
        assert.deepEqual(differing(before, await jobInputsOfCopy(bump("migrate.sh"))), ["migrate"]);
        assert.deepEqual(differing(before, await jobInputsOfCopy(bump("run-job.sh"))), [...before.keys()].sort());
    });
});
