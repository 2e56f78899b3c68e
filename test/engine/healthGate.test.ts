import { strict as assert } from "assert";
import { JobSpec } from "../../components/bench/model/types";
import { dockerName } from "../../components/conventions/naming";
import { cleanUp, docker, dockerOk, requireEngine, RUN_ID, TEST_LABEL } from "./engine";
import { buildTestImage } from "./image";
import { runJob, withTestScript } from "./jobInvocation";

/*
 * Real-engine tier: the health gate that runs first in the step that reopens the sites
 * (components/bench/scripts/health-gate.sh), through the program's job runner, against real
 * containers with real Docker healthchecks, found by their frappe.stack/frappe.role labels.
 */

const STACK = `gate-${RUN_ID}`;
const IMAGE = `frappe-pulumi-gate-test:${RUN_ID}`;
const NETWORK = dockerName(STACK, "network");
const BACKEND = dockerName(STACK, "backend");
const TESTED = ["--label", `${TEST_LABEL}=${RUN_ID}`];

// The program's wrapper and gate; the test's own script stands in for maintenance-off.sh (withTestScript).
const REOPEN: JobSpec = withTestScript(
    {
        kind: "job",
        networks: ["bench"],
        key: "maintenance-off",
        role: "maintenance-off",
        description: "engine test: reopen the sites",
        image: { kind: "frappe" },
        script: "maintenance-off.sh",
        helpers: [],
        params: {},
        secretFiles: [],
        files: [],
        mounts: [],
        after: [],
        chainsLaterJobs: true,
        followsChain: true,
        rerunAfter: [],
        triggers: [],
        healthGate: { roles: ["backend", "queue-short"], processes: ["backend"] },
    },
    "echo reopened",
);

function health(name: string): string {
    return docker(["container", "inspect", "-f", "{{.State.Health.Status}}", name]).stdout.trim();
}

async function until(what: string, check: () => boolean, seconds = 60): Promise<void> {
    for (let i = 0; i < seconds * 4; i++) {
        if (check()) {
            return;
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`timed out after ${seconds}s waiting for ${what}`);
}

describe("real Docker engine: the health gate before the sites reopen", function () {
    this.timeout(180_000);
    let engine = false;

    before(function () {
        requireEngine(this);
        engine = true;
        buildTestImage(IMAGE, RUN_ID);
        dockerOk(["network", "create", "--driver", "bridge", ...TESTED, NETWORK]);
        // An app process whose healthcheck passes once /tmp/ok exists.
        dockerOk([
            "run", "-d", "--name", BACKEND, ...TESTED,
            "--label", `frappe.stack=${STACK}`, "--label", "frappe.role=backend",
            "--health-cmd", "test -f /tmp/ok", "--health-interval", "1s", "--health-retries", "1",
            "--entrypoint", "sleep", IMAGE, "600",
        ]); // prettier-ignore
    });

    after(function () {
        if (!engine) {
            return;
        }
        assert.deepEqual(cleanUp(STACK, IMAGE), [], "everything the tier created is removed");
    });

    it("refuses to reopen while the backend is unhealthy, and never starts the step's container", async () => {
        await until(`${BACKEND} unhealthy`, () => health(BACKEND) === "unhealthy");
        const r = await runJob(REOPEN, { stack: STACK, image: IMAGE, network: NETWORK });
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stderr, new RegExp(`health gate: ${BACKEND} is not healthy \\(state: running unhealthy\\)`));
        assert.match(r.stderr, /The sites stay in maintenance mode/);
        assert.doesNotMatch(r.stdout, /reopened/);
        const job = docker(["container", "inspect", dockerName(STACK, "maintenance-off")]);
        assert.notEqual(job.status, 0, "the reopening container was never created");
    });

    it("refuses when a worker of the stack (found by its label) is unhealthy", async () => {
        dockerOk(["exec", BACKEND, "touch", "/tmp/ok"]);
        await until(`${BACKEND} healthy`, () => health(BACKEND) === "healthy");
        const worker = dockerName(STACK, "queue-short-1");
        dockerOk([
            "run", "-d", "--name", worker, ...TESTED,
            "--label", `frappe.stack=${STACK}`, "--label", "frappe.role=queue-short",
            "--health-cmd", "false", "--health-interval", "1s", "--health-retries", "1",
            "--entrypoint", "sleep", IMAGE, "600",
        ]); // prettier-ignore
        await until(`${worker} unhealthy`, () => health(worker) === "unhealthy");
        const r = await runJob(REOPEN, { stack: STACK, image: IMAGE, network: NETWORK });
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stderr, new RegExp(`${worker} is not healthy`));
        dockerOk(["rm", "-f", "-v", worker]);
    });

    it("reopens once every app process is healthy", async () => {
        await until(`${BACKEND} healthy`, () => health(BACKEND) === "healthy");
        const r = await runJob(REOPEN, { stack: STACK, image: IMAGE, network: NETWORK });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`health gate: healthy: ${BACKEND} `));
        assert.match(r.stdout, /^reopened$/m);
    });
});
