import { strict as assert } from "assert";
import { createHash, randomBytes } from "crypto";
import { runToken } from "../../components/jobs/jobRun";
import { SECRETS_DIR, SITES_DIR } from "../../components/bench/layout";
import { JobSpec } from "../../components/bench/model/types";
import { dockerName } from "../../components/conventions/naming";
import { cleanUp, docker, dockerOk, requireEngine, RUN_ID, TEST_LABEL } from "./engine";
import { buildTestImage } from "./image";
import { jobInvocation, JobWorld, runInvocation, runJob, withTestScript } from "./jobInvocation";

/*
 * Real-engine tier: the program's own job runner (the command the BenchJob resource runs, its
 * environment and stdin, see jobInvocation.ts) against a real Docker engine, with a small local
 * image (image.ts). Run just this tier with `npm run test:engine`; it is also part of `npm test`.
 * Without a usable engine it is skipped with the reason, except under CI=true, where it fails.
 */

const STACK = `engine-${RUN_ID}`;
const IMAGE = `frappe-pulumi-engine-test:${RUN_ID}`;
const NETWORK = dockerName(STACK, "network");
const SITES_VOLUME = dockerName(STACK, "sites");
const TESTED = ["--label", `${TEST_LABEL}=${RUN_ID}`];

function job(key: string, script: string, extra: Partial<JobSpec> = {}): JobSpec {
    return withTestScript(
        {
            kind: "job",
            networks: ["bench"],
            key,
            role: "migrate",
            description: `engine test ${key}`,
            image: { kind: "frappe" },
            // The test's own script stands in for migrate.sh (withTestScript); wrapper and prelude are the program's.
            script: "migrate.sh",
            helpers: [],
            params: { FRAPPE_STACK: STACK },
            secretFiles: [],
            files: [],
            mounts: [],
            after: [],
            chainsLaterJobs: true,
            followsChain: true,
            rerunAfter: [],
            triggers: [],
            ...extra,
        },
        script,
    );
}

const WORLD: JobWorld = { stack: STACK, image: IMAGE, network: NETWORK, volumes: { sites: SITES_VOLUME } };

function state(name: string): { status: string; exitCode: number } | undefined {
    const r = docker(["container", "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name]);
    if (r.status !== 0) {
        assert.match(r.stderr, /no such (container|object)/i);
        return undefined;
    }
    const [status, code] = r.stdout.trim().split(" ");
    return { status, exitCode: Number(code) };
}

async function until(what: string, check: () => boolean, seconds = 30): Promise<void> {
    for (let i = 0; i < seconds * 4; i++) {
        if (check()) {
            return;
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`timed out after ${seconds}s waiting for ${what}`);
}

describe("real Docker engine: the program's job runner", function () {
    this.timeout(180_000);
    let engine = false;

    before(function () {
        requireEngine(this);
        engine = true;
        buildTestImage(IMAGE, RUN_ID);
        // As BenchNetwork and BenchVolumes declare them (driver bridge, named per stack).
        dockerOk(["network", "create", "--driver", "bridge", ...TESTED, NETWORK]);
        dockerOk(["volume", "create", ...TESTED, SITES_VOLUME]);
    });

    after(function () {
        if (!engine) {
            return;
        }
        const problems = cleanUp(STACK, IMAGE);
        assert.deepEqual(problems, [], "everything the tier created is removed");
    });

    it("succeeds: exit 0, the job's output, the run token of its container, the container removed", async () => {
        const spec = job("ok", 'echo "ran as $(id -u) in $PWD"');
        const r = await runJob(spec, WORLD);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^ran as 1000 in ${SITES_DIR.replace(/\/sites$/, "")}$`, "m"));
        assert.match(runToken(r.stdout), /^[0-9a-f]{64}$/, "the token is the full container ID");
        assert.equal(state(dockerName(STACK, "ok")), undefined, "a successful job leaves no container");
        const again = await runJob(spec, WORLD);
        assert.equal(again.code, 0, again.stderr);
        assert.notEqual(runToken(again.stdout), runToken(r.stdout), "every run has its own token");
    });

    it("fails with the job's exit code and message and keeps the container for docker logs", async () => {
        const name = dockerName(STACK, "fails");
        const spec = job("fails", "echo 'the real cause' >&2; exit 42");
        const r = await runJob(spec, WORLD);
        assert.equal(r.code, 42);
        assert.equal(runToken(r.stdout), "", "no run token: the step did not happen");
        assert.match(r.stderr, /the real cause/, "the container's own error reaches the deploy log");
        assert.match(r.stderr, /Job fails \(engine test fails\).*exit code 42/);
        assert.ok(r.stderr.includes(`docker logs ${name}`), r.stderr);
        assert.deepEqual(state(name), { status: "exited", exitCode: 42 });
        assert.match(docker(["logs", name]).stderr, /the real cause/, "docker logs shows why");
        // The next deploy runs the fixed job: the kept container is replaced, not a name clash.
        const fixed = await runJob(job("fails", "true"), WORLD);
        assert.equal(fixed.code, 0, fixed.stderr);
        assert.equal(state(name), undefined);
    });

    it("refuses to start a job while its run from an earlier deploy is still active", async () => {
        const name = dockerName(STACK, "long");
        const inv = await jobInvocation(job("long", "sleep 120"), WORLD);
        const earlier = runInvocation(inv);
        await until(`${name} to run`, () => state(name)?.status === "running");
        const id = dockerOk(["container", "inspect", "-f", "{{.Id}}", name]);
        const r = await runInvocation(inv);
        assert.notEqual(r.code, 0, "the second run must fail the deploy");
        assert.equal(runToken(r.stdout), "");
        assert.ok(r.stderr.includes(`${name} is still active`), r.stderr);
        assert.ok(r.stderr.includes(`docker wait ${name}`), r.stderr);
        assert.equal(dockerOk(["container", "inspect", "-f", "{{.Id}} {{.State.Status}}", name]), `${id} running`);
        dockerOk(["kill", name]);
        const first = await earlier;
        assert.equal(first.code, 137, "the earlier run ends with its container's exit code (killed)");
    });

    it("writes stdin secrets into the tmpfs as 1000:1000 0400 and nowhere docker inspect shows", async () => {
        const secret = `s3cr3t ${randomBytes(12).toString("hex")}\nsecond line`;
        const file = `${SECRETS_DIR}/admin-password`;
        const spec = job(
            "secret",
            // Fails on purpose (exit 3) so the container is kept for `docker inspect`.
            `stat -c '%u %g %a' ${file}; awk '$2 == "${SECRETS_DIR}" { print $3 }' /proc/mounts; sha256sum ${file} | cut -d' ' -f1; exit 3`,
            { secretFiles: [{ secret: "adminPassword", path: file, owner: 1000, mode: "0400" }] },
        );
        const world = { ...WORLD, secrets: { adminPassword: secret } };
        const inv = await jobInvocation(spec, world);
        const r = await runInvocation(inv);
        assert.equal(r.code, 3, r.stderr);
        const [owner, fsType, digest] = r.stdout.trim().split("\n");
        assert.equal(owner, "1000 1000 400");
        assert.equal(fsType, "tmpfs");
        assert.equal(digest, createHash("sha256").update(secret).digest("hex"), "byte for byte");
        const forms = [secret, ...secret.split("\n"), Buffer.from(secret).toString("base64")];
        const inspect = dockerOk(["container", "inspect", dockerName(STACK, "secret")]);
        const config = JSON.parse(inspect) as { Config: { Env: string[]; Labels: object }; Args: string[] }[];
        assert.ok(config[0].Config.Env.length > 0 && config[0].Args.length > 0, "inspect shows env and args");
        for (const form of forms) {
            assert.ok(!inspect.includes(form), `docker inspect (env, args, labels, config) holds ${form}`);
            assert.ok(!inv.argv.join(" ").includes(form), "the command line holds the secret");
            assert.ok(!JSON.stringify(inv.environment).includes(form), "the command environment holds the secret");
            assert.ok(!r.stdout.includes(form) && !r.stderr.includes(form), "the job output holds the secret");
        }
    });

    it("reaches another container by its network alias on the stack network, and only there", async () => {
        const page = `pong-${RUN_ID}`;
        // A service as the docker provider starts one: joined to the stack network under its alias.
        dockerOk([
            ...["run", "-d", "--name", dockerName(STACK, "backend"), ...TESTED],
            ...["--network", NETWORK, "--network-alias", "backend", IMAGE],
            ...[
                "sh",
                "-c",
                `mkdir -p /tmp/www && echo ${page} > /tmp/www/index.html && exec httpd -f -p 8000 -h /tmp/www`,
            ],
        ]);
        const fetch = job(
            "fetch",
            "for _ in $(seq 40); do wget -qO- http://backend:8000/ && exit 0; sleep 0.25; done; exit 1",
        );
        const r = await runJob(fetch, WORLD);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^${page}$`, "m"));
        const elsewhere = dockerName(STACK, "other-network");
        dockerOk(["network", "create", "--driver", "bridge", ...TESTED, elsewhere]);
        const outside = await runJob(job("fetch-outside", "wget -qO- -T 3 http://backend:8000/"), {
            ...WORLD,
            network: elsewhere,
        });
        assert.notEqual(outside.code, 0, "another stack's network must not resolve this stack's backend");
        assert.doesNotMatch(outside.stdout, new RegExp(page));
    });

    it("starts on the data network and joins the bench network before its script runs (create, connect, start)", async () => {
        const data = dockerName(STACK, "data");
        dockerOk(["network", "create", "--driver", "bridge", "--internal", ...TESTED, data]);
        const serve = (name: string, network: string, alias: string, port: number, page: string) =>
            dockerOk([
                ...["run", "-d", "--name", dockerName(STACK, name), ...TESTED, "--network", network],
                ...["--network-alias", alias, IMAGE, "sh", "-c"],
                `mkdir -p /tmp/www && echo ${page} > /tmp/www/index.html && exec httpd -f -p ${port} -h /tmp/www`,
            ]);
        // The database only on the data network, an application process only on the bench network.
        serve("db", data, "db", 3306, `db-${RUN_ID}`);
        serve("web", NETWORK, "web", 8000, `web-${RUN_ID}`);
        // busybox nc, not wget: the static busybox wget of the test image dies (SIGSEGV) in a container with two
        // networks, whatever the order; nc does not.
        const get = (host: string, port: number) =>
            `for _ in $(seq 40); do printf 'GET / HTTP/1.0\r\n\r\n' | nc ${host} ${port} | tail -n 1 | grep . && break; sleep 0.25; done`;
        const both = job("both", `${get("db", 3306)} && ${get("web", 8000)}`, { networks: ["data", "bench"] });
        const r = await runJob(both, { ...WORLD, dataNetwork: data });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^db-${RUN_ID}$`, "m"));
        assert.match(r.stdout, new RegExp(`^web-${RUN_ID}$`, "m"), "joined the bench network before it ran");
        // Why run-job.sh connects instead of naming both networks: engines before API 1.44 refuse it.
        const version = dockerOk(["version", "-f", "{{.Server.APIVersion}}"]).trim();
        const two = docker(["create", "--network", data, "--network", NETWORK, ...TESTED, IMAGE, "true"]);
        if (Number(version.split(".")[1]) < 44) {
            assert.notEqual(two.status, 0);
            assert.match(two.stderr, /Container cannot be connected to network endpoints/);
        }
    });

    it("keeps data on a named volume across job runs, owned by the frappe user", async () => {
        const mounts = [{ volume: "sites" as const, containerPath: SITES_DIR }];
        const value = `data-${RUN_ID}`;
        const write = await runJob(
            job("write-site", `echo ${value} > ${SITES_DIR}/marker; stat -c %u ${SITES_DIR}`, { mounts }),
            WORLD,
        );
        assert.equal(write.code, 0, write.stderr);
        assert.match(write.stdout, /^1000$/m, "the volume takes the owner of the image's sites directory");
        assert.equal(state(dockerName(STACK, "write-site")), undefined, "the writer's container is gone");
        const read = await runJob(job("read-site", `cat ${SITES_DIR}/marker`, { mounts }), WORLD);
        assert.equal(read.code, 0, read.stderr);
        assert.match(read.stdout, new RegExp(`^${value}$`, "m"));
    });
});
