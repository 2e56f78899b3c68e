import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { FakeHost, fakeHost, onFakeHost, realTools } from "./fakehost";
import { loadStackConfig, ProgramRun, REPO_ROOT, runProgram } from "./harness";

const LOCAL_SH = path.join(REPO_ROOT, "scripts", "local.sh");
/** A job that failed in the last deploy: run-job.sh keeps its container, labelled with the stack, for `docker logs`. */
const FAILED_JOB = {
    name: "frappe-local-migrate",
    state: "exited" as const,
    labels: { "frappe.stack": "local", "frappe.role": "migrate" },
    volumes: ["frappe-local-sites"],
    // A job starts on the data network and joins the bench network (run-job.sh).
    networks: ["frappe-local-data", "frappe-local-bench"],
};

describe("teardown: npm run local -- down (scripts/local.sh) with stand-in pulumi and docker", function () {
    this.timeout(60_000);
    let run: ProgramRun;
    let tools: string;
    before(async () => {
        run = await runProgram({ stack: "local", config: loadStackConfig("local").config });
        assert.equal(run.error, undefined, run.error?.message);
        tools = realTools(["dirname", "mkdir", "od", "tr", "cat", "grep"]);
    });

    const local = (host: FakeHost, args: string[], input = "", env: Record<string, string> = {}) =>
        onFakeHost(host, ["/bin/sh", LOCAL_SH, ...args], {
            tools,
            input,
            env: { FRAPPE_LOCAL_DIR: path.join(host.dir, "backend"), ...env },
        });
    const names = (list: { name: string }[]) => list.map((o) => o.name).sort();
    const protectedTypes = (host: FakeHost) =>
        (host.stack("local")?.resources ?? []).filter((r) => r.protect).map((r) => r.type);

    describe("the stand-ins apply the rules of what they stand for", () => {
        it("a plain pulumi destroy removes what it can, then fails naming every protected resource", () => {
            const host = fakeHost("local", run, [FAILED_JOB]);
            const r = onFakeHost(host, ["pulumi", "destroy", "--yes", "--stack", "local"], { tools });
            assert.equal(r.status, 255);
            const refused = [
                ...r.stderr.matchAll(
                    /error: resource "(urn:pulumi:local::frappe::[^"]+)" cannot be deleted\nbecause it is protected/g,
                ),
            ];
            assert.equal(refused.length, 7, r.stderr); // five volumes, two passwords
            assert.match(r.stderr, /`pulumi state unprotect '/);
            assert.deepEqual(names(host.docker().containers), [FAILED_JOB.name]);
            assert.equal(host.docker().volumes.length, 5);
        });

        it("without a terminal, destroy needs --yes; state unprotect too", () => {
            const host = fakeHost("local", run);
            const r = onFakeHost(host, ["pulumi", "destroy", "--exclude-protected", "--stack", "local"], { tools });
            assert.equal(r.status, 255);
            assert.match(r.stderr, /--yes or --skip-preview or --preview-only must be passed in/);
            const u = onFakeHost(host, ["pulumi", "state", "unprotect", "--all", "--stack", "local"], { tools });
            assert.equal(u.status, 255);
            assert.equal(host.docker().containers.length > 0, true);
        });

        it("destroy --exclude-protected keeps the protected resources and their parents, and deletes the rest", () => {
            const host = fakeHost("local", run);
            const r = onFakeHost(host, ["pulumi", "destroy", "--exclude-protected", "--yes", "--stack", "local"], {
                tools,
            });
            assert.equal(r.status, 0, r.stderr);
            const left = host.stack("local")!.resources;
            assert.deepEqual(
                [...new Set(left.map((x) => x.type))].sort(),
                [
                    "docker:index/volume:Volume",
                    "frappe:bench:Volumes",
                    "frappe:index:Deployment",
                    "random:index/randomPassword:RandomPassword",
                ].sort(),
            );
            assert.deepEqual(host.docker().containers, []);
            assert.deepEqual(host.docker().networks, []);
            // A second run finds nothing unprotected and succeeds.
            const again = onFakeHost(host, ["pulumi", "destroy", "--exclude-protected", "--yes", "--stack", "local"], {
                tools,
            });
            assert.equal(again.status, 0, again.stderr);
            assert.match(
                again.stdout,
                /There were no unprotected resources to destroy\. There are still \d+ protected/,
            );
        });

        it("a retainOnDelete volume leaves the state but stays on the host; docker refuses a volume in use", () => {
            const host = fakeHost("local", run, [FAILED_JOB]);
            for (const argv of [
                ["pulumi", "state", "unprotect", "--all", "--yes", "--stack", "local"],
                ["pulumi", "destroy", "--yes", "--stack", "local"],
            ]) {
                const r = onFakeHost(host, argv, { tools });
                assert.equal(r.status, 0, r.stderr);
            }
            assert.deepEqual(host.stack("local")!.resources, []);
            assert.ok(names(host.docker().volumes).includes("frappe-local-sites"));
            const inUse = onFakeHost(host, ["docker", "volume", "rm", "frappe-local-sites"], { tools });
            assert.equal(inUse.status, 1);
            assert.match(inUse.stderr, /remove frappe-local-sites: volume is in use - \[/);
            assert.equal(onFakeHost(host, ["docker", "rm", FAILED_JOB.name], { tools }).status, 0);
            assert.equal(onFakeHost(host, ["docker", "volume", "rm", "frappe-local-sites"], { tools }).status, 0);
        });

        it("docker refuses a running container without -f and a network a running container is attached to", () => {
            const host = fakeHost("local", run);
            const running = host.docker().containers[0];
            const rm = onFakeHost(host, ["docker", "rm", running.name], { tools });
            assert.match(rm.stderr, /You cannot remove a running container/);
            const net = onFakeHost(host, ["docker", "network", "rm", running.networks[0]], { tools });
            assert.match(net.stderr, /has active endpoints/);
            assert.equal(onFakeHost(host, ["docker", "rm", "-f", running.name], { tools }).status, 0);
        });
    });

    it("down removes the containers, the network and the failed job's container; keeps volumes, passwords, state", () => {
        const host = fakeHost("local", run, [FAILED_JOB]);
        const volumesBefore = names(host.docker().volumes);
        const r = local(host, ["down", "--yes"]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(host.docker().containers, []);
        assert.deepEqual(host.docker().networks, []);
        assert.deepEqual(names(host.docker().volumes), volumesBefore);
        assert.deepEqual(volumesBefore, [
            "frappe-local-cert-data",
            "frappe-local-db-data",
            "frappe-local-logs",
            "frappe-local-redis-queue-data",
            "frappe-local-sites",
        ]);
        assert.equal(protectedTypes(host).filter((t) => t.startsWith("random:")).length, 2);
        assert.deepEqual(
            host.calls().filter((c) => c.startsWith("pulumi destroy") || c.startsWith("docker rm -v")),
            ["pulumi destroy --exclude-protected --stack local --yes", "docker rm -v frappe-local-migrate"],
        );
        assert.match(r.stdout, /Removed frappe-local-migrate \(a job's container, kept for docker logs\)/);
        assert.match(r.stdout, /The local stack is down: its containers and networks are removed\.\nKept: its volumes/);
        // Again: nothing left to take down, and still fine.
        const again = local(host, ["down", "--yes"]);
        assert.equal(again.status, 0, again.stderr);
        assert.deepEqual(names(host.docker().volumes), volumesBefore);
    });

    it("down leaves the confirmation to pulumi destroy (without a terminal, pulumi refuses: nothing is removed)", () => {
        const host = fakeHost("local", run);
        const r = local(host, ["down"]);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /--yes or --skip-preview or --preview-only must be passed in/);
        assert.ok(host.docker().containers.length > 0);
        const asked = local(host, ["down"], "yes\n", { FAKEHOST_INTERACTIVE: "1" });
        assert.equal(asked.status, 0, asked.stderr);
        assert.match(asked.stdout, /Do you want to perform this destroy\?/);
        assert.deepEqual(host.docker().containers, []);
    });

    it("down refuses while a job container still runs, before changing anything", () => {
        const host = fakeHost("local", run, [{ ...FAILED_JOB, state: "running" }]);
        const r = local(host, ["down", "--yes"]);
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /A job container is still running .*: frappe-local-migrate\. Wait for it .*nothing was changed/,
        );
        assert.ok(!host.calls().some((c) => c.startsWith("pulumi destroy")));
    });

    it("down --delete-data asks for the stack name, and changes nothing without it", () => {
        const host = fakeHost("local", run, [FAILED_JOB]);
        const before = JSON.stringify(host.docker());
        for (const input of ["", "yes\n", "production\n"]) {
            const r = local(host, ["down", "--delete-data"], input);
            assert.equal(r.status, 1);
            assert.match(r.stdout, /This deletes the local stack's data for good[\s\S]*Type the stack name \(local\)/);
            assert.match(r.stderr, /Not confirmed; nothing was changed\./);
        }
        assert.equal(JSON.stringify(host.docker()), before);
        assert.ok(!host.calls().some((c) => /^pulumi (destroy|state)/.test(c)));
    });

    it("down --delete-data, confirmed, removes everything: containers, network, volumes, passwords", () => {
        for (const [args, input] of [
            [["down", "--delete-data"], "local\n"],
            [["down", "--delete-data", "--yes"], ""],
        ] as const) {
            const host = fakeHost("local", run, [FAILED_JOB]);
            const r = local(host, [...args], input);
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(host.docker(), { containers: [], networks: [], volumes: [] });
            assert.deepEqual(host.stack("local")!.resources, []);
            assert.deepEqual(
                host.calls().filter((c) => /^pulumi (destroy|state)|^docker (rm -v|volume rm)/.test(c)),
                [
                    "pulumi destroy --exclude-protected --stack local --yes",
                    "docker rm -v frappe-local-migrate",
                    "pulumi state unprotect --all --yes --stack local",
                    "pulumi destroy --yes --stack local",
                    "docker volume rm frappe-local-sites frappe-local-logs frappe-local-db-data frappe-local-redis-queue-data frappe-local-cert-data",
                ],
            );
            assert.match(r.stdout, /containers, networks, volumes and generated passwords are deleted/);
        }
    });

    it("down leaves other stacks' containers and volumes alone", () => {
        const other = {
            ...FAILED_JOB,
            name: "frappe-staging-migrate",
            labels: { "frappe.stack": "staging" },
            volumes: ["frappe-staging-sites"],
            networks: [],
        };
        const host = fakeHost("local", run, [other]);
        const r = local(host, ["down", "--delete-data", "--yes"]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(names(host.docker().containers), ["frappe-staging-migrate"]);
    });

    it("down with no local stack says so and succeeds", () => {
        const host = fakeHost("local", run);
        fs.rmSync(path.join(host.dir, "pulumi", "local.json"));
        const r = local(host, ["down"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /There is no local stack in .*: nothing to take down\./);
    });

    it("down reports every missing prerequisite at once", () => {
        const host = fakeHost("local", run);
        const r = onFakeHost(host, ["/bin/sh", LOCAL_SH, "down"], {
            tools: realTools(["dirname", "mkdir", "od", "tr", "cat", "grep"]),
            env: { FAKEHOST_DOCKER_DOWN: "1", PATH: realTools(["dirname"]) },
        });
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /The Docker CLI \(docker\) is not installed[\s\S]*The Pulumi CLI \(pulumi\) is not installed/,
        );
    });
});

/** The shell blocks of a section of docs/teardown.md, as an operator would paste them. */
function teardownBlock(heading: string): string {
    const text = fs.readFileSync(path.join(REPO_ROOT, "docs", "teardown.md"), "utf8");
    const section = text.slice(text.indexOf(`### ${heading}\n`));
    const m = /```sh\n([\s\S]*?)```/.exec(section);
    assert.ok(m, `a sh block under ${heading}`);
    return m[1];
}

describe("teardown of any stack: the commands of docs/teardown.md, on stand-in pulumi and docker", function () {
    this.timeout(60_000);
    let run: ProgramRun;
    let tools: string;
    const FAILED = {
        name: "frappe-production-site-erp.example.com",
        state: "exited" as const,
        labels: { "frappe.stack": "production", "frappe.role": "site-erp.example.com" },
        volumes: ["frappe-production-sites"],
        networks: ["frappe-production-data", "frappe-production-bench"],
    };
    before(async () => {
        const { config, secrets } = loadStackConfig("production");
        // The three secrets the file's header says to set for offsite backups.
        const offsite = { resticPassword: "restic", s3AccessKeyId: "key-id", s3SecretAccessKey: "key" };
        run = await runProgram({ stack: "production", config, secrets: { ...secrets, ...offsite } });
        assert.equal(run.error, undefined, run.error?.message);
        tools = realTools(["cat", "grep"]);
    });
    // A terminal answering yes to every prompt (pulumi asks before destroy and before editing state).
    const paste = (host: FakeHost, block: string) =>
        onFakeHost(host, ["/bin/sh", "-e", "-c", block], {
            tools,
            input: "yes\n".repeat(10),
            env: { FAKEHOST_INTERACTIVE: "1" },
        });

    it("Down, keeping the data: containers, network and the failed job's container go; volumes and passwords stay", () => {
        const host = fakeHost("production", run, [FAILED]);
        const volumes = host.docker().volumes.length;
        const r = paste(host, teardownBlock("Down, keeping the data"));
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(host.docker().containers, []);
        assert.deepEqual(host.docker().networks, []);
        assert.equal(host.docker().volumes.length, volumes);
        assert.ok(volumes > 0);
        assert.ok(
            host.stack("production")!.resources.some((r) => r.type === "random:index/randomPassword:RandomPassword"),
        );
    });

    it("Everything, data included: nothing of the stack is left on the host or in its state", () => {
        const host = fakeHost("production", run, [FAILED]);
        const r = paste(host, teardownBlock("Everything, data included"));
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(host.docker(), { containers: [], networks: [], volumes: [] });
        assert.deepEqual(host.stack("production")!.resources, []);
    });

    it("a plain pulumi destroy, as the docs say, does not get there", () => {
        const host = fakeHost("production", run, [FAILED]);
        const r = paste(host, "pulumi destroy --stack production");
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /cannot be deleted\nbecause it is protected/);
        assert.deepEqual(
            host.docker().containers.map((c) => c.name),
            [FAILED.name],
        );
    });
});
