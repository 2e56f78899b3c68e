import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readScript, scriptPath } from "../components/bench/scriptFiles";

const FAKE_DOCKER_DIR = path.join(__dirname, "fakebin");
const SCRIPT = scriptPath("health-gate.sh");

/** Runs the real gate script against the stand-in Docker CLI with the given containers. */
function gate(rows: string[], env: Record<string, string> = {}): { status: number | null; out: string; err: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-"));
    const table = path.join(dir, "containers");
    fs.writeFileSync(table, rows.map((r) => `${r}\n`).join(""));
    const r = spawnSync("sh", [SCRIPT], {
        encoding: "utf8",
        env: {
            PATH: `${FAKE_DOCKER_DIR}:${process.env.PATH ?? ""}`,
            FAKE_DOCKER_CONTAINERS: table,
            GATE_STACK: "staging",
            GATE_ROLES: "backend queue-short scheduler",
            GATE_EXPECT: "frappe-staging-backend frappe-staging-scheduler",
            GATE_TIMEOUT: "0",
            GATE_POLL: "0",
            ...env,
        },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: r.status, out: r.stdout, err: r.stderr };
}

const HEALTHY = [
    "frappe-staging-backend staging backend running healthy",
    "frappe-staging-queue-short-1 staging queue-short running healthy",
    "frappe-staging-scheduler staging scheduler running healthy",
    // Not app processes of this stack: never looked at.
    "frappe-staging-db staging db running unhealthy",
    "frappe-production-backend production backend running unhealthy",
    "frappe-staging-migrate staging migrate exited none",
];

describe("health gate (components/bench/scripts/health-gate.sh)", () => {
    it("is a script file of the loader, and shellcheck-clean", () => {
        assert.match(readScript("health-gate.sh"), /^#!\/bin\/sh\n/);
        const r = spawnSync("shellcheck", ["--shell=sh", SCRIPT], { encoding: "utf8" });
        assert.equal(r.error, undefined, "shellcheck is installed (Debian package)");
        assert.equal(r.status, 0, r.stdout);
    });

    it("passes when every app process container of the stack is running and healthy", () => {
        const r = gate(HEALTHY);
        assert.equal(r.status, 0, r.err);
        assert.equal(
            r.out,
            "health gate: healthy: frappe-staging-backend frappe-staging-queue-short-1 frappe-staging-scheduler \n",
        );
    });

    const failures: [string, string[], RegExp][] = [
        [
            "an unhealthy backend",
            HEALTHY.map((l) => l.replace("backend running healthy", "backend running unhealthy")),
            /frappe-staging-backend is not healthy \(state: running unhealthy\)/,
        ],
        [
            "a worker that stopped",
            HEALTHY.map((l) => l.replace("queue-short running healthy", "queue-short exited healthy")),
            /frappe-staging-queue-short-1 is not healthy \(state: exited healthy\)/,
        ],
        [
            "a worker still starting when the time is up",
            HEALTHY.map((l) => l.replace("queue-short running healthy", "queue-short running starting")),
            /still starting after 0s: frappe-staging-queue-short-1/,
        ],
        [
            "a container without a healthcheck",
            HEALTHY.map((l) => l.replace("scheduler running healthy", "scheduler running none")),
            /frappe-staging-scheduler has no healthcheck/,
        ],
        [
            "a missing backend",
            HEALTHY.filter((l) => !l.startsWith("frappe-staging-backend ")),
            /container frappe-staging-backend does not exist/,
        ],
    ];
    for (const [what, rows, message] of failures) {
        it(`fails, keeping the sites closed, on ${what}`, () => {
            const r = gate(rows);
            assert.equal(r.status, 1);
            assert.match(r.err, message);
            assert.match(r.err, /The sites stay in maintenance mode/);
            assert.doesNotMatch(r.out, /healthy:/);
        });
    }

    it("fails when Docker cannot be reached", () => {
        const r = gate(HEALTHY, { FAKE_DOCKER_UNREACHABLE: "1" });
        assert.equal(r.status, 1);
        assert.match(r.err, /cannot list the containers of stack staging/);
    });

    it("refuses to run without its settings", () => {
        for (const key of ["GATE_STACK", "GATE_ROLES", "GATE_EXPECT"]) {
            const r = gate(HEALTHY, { [key]: "" });
            assert.notEqual(r.status, 0, key);
            assert.match(r.err, new RegExp(`${key} is not set`));
        }
    });
});
