import { strict as assert } from "assert";
import { SITES_DIR } from "../../components/bench/layout";
import { dockerName } from "../../components/conventions/naming";
import { StatusCommand } from "../statusCommand";
import { cleanUp, docker, dockerOk, requireEngine, RUN_ID, TEST_LABEL } from "./engine";
import { buildTestImage } from "./image";

/*
 * Real-engine tier: `npm run status` (scripts/status.ts) against real containers with real labels and
 * healthchecks and a real sites volume laid out as the backups contract says (sites/.backups/<site>/,
 * sites/.backups/.status/*.json); only the stack outputs come from the stand-in pulumi (test/fakehost).
 */

const STACK = `status-${RUN_ID}`;
const IMAGE = `frappe-pulumi-status-test:${RUN_ID}`;
const TESTED = ["--label", `${TEST_LABEL}=${RUN_ID}`];
const SITES_VOLUME = dockerName(STACK, "sites");
const name = (key: string) => dockerName(STACK, key);
const HOUR = 3600;

function app(key: string, role: string, health: string[]): void {
    dockerOk([
        "run", "-d", "--name", name(key), ...TESTED, "--label", `frappe.stack=${STACK}`, "--label", `frappe.role=${role}`,
        ...health, "--entrypoint", "sleep", IMAGE, "600",
    ]); // prettier-ignore
}

/** Lays out the sites volume: two sites (one in maintenance), one backup two hours old, the status files. */
function layOutSites(now: number): void {
    const script = [
        `cd ${SITES_DIR}`,
        "mkdir -p erp.example.com crm.example.com .backups/erp.example.com .backups/.status",
        `printf '{\\n "db_name": "x",\\n "db_password": "do-not-print",\\n "maintenance_mode": 1\\n}' > erp.example.com/site_config.json`,
        `printf '{\\n "db_password": "do-not-print"\\n}' > crm.example.com/site_config.json`,
        "b=.backups/erp.example.com/20250101_120000-erp_example_com-database.sql.gz",
        `echo dump > $b && touch -d @${now - 2 * HOUR} $b`,
        `printf '{"finished": "${new Date((now - 5 * HOUR) * 1000).toISOString()}", "ok": true, "snapshot": "abc", "error": null}' > .backups/.status/offsite.json`,
        `printf '{"finished": "${new Date((now - 3 * 86400) * 1000).toISOString()}", "ok": false, "backup": "x", "engine": "mariadb", "error": "restore failed"}' > .backups/.status/drill-erp.example.com.json`,
    ].join("\n");
    dockerOk([
        "run",
        "--rm",
        ...TESTED,
        "-v",
        `${SITES_VOLUME}:${SITES_DIR}`,
        "--entrypoint",
        "sh",
        IMAGE,
        "-c",
        script,
    ]);
}

async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; i < 240; i++) {
        if (check()) return;
        await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`timed out waiting for ${what}`);
}

describe("real Docker engine: npm run status", function () {
    this.timeout(180_000);
    let engine = false;
    let command: StatusCommand | undefined;
    const status = (args: string[], env: Record<string, string> = {}) => (command as StatusCommand).run(args, env);

    before(async function () {
        requireEngine(this);
        engine = true;
        buildTestImage(IMAGE, RUN_ID);
        dockerOk(["volume", "create", ...TESTED, SITES_VOLUME]);
        const now = Number(dockerOk(["run", "--rm", ...TESTED, "--entrypoint", "date", IMAGE, "+%s"]));
        layOutSites(now);
        const check = (cmd: string) => ["--health-cmd", cmd, "--health-interval", "1s", "--health-retries", "1"];
        app("backend", "backend", check("true"));
        app("queue-short-1", "queue-short", check("false"));
        app("scheduler", "scheduler", []);
        // A failed job's container, kept for docker logs.
        docker(["run", "--name", name("migrate"), ...TESTED, "--label", `frappe.stack=${STACK}`, "--label", "frappe.role=migrate",
                "--entrypoint", "sh", IMAGE, "-c", "exit 3"]); // prettier-ignore
        const health = (n: string) => docker(["inspect", "-f", "{{.State.Health.Status}}", n]).stdout.trim();
        await until(
            "backend healthy, worker unhealthy",
            () => health(name("backend")) === "healthy" && health(name("queue-short-1")) === "unhealthy",
        );
        command = StatusCommand.plain(STACK, {
            imageRef: IMAGE,
            orchestrator: "docker",
            containerNames: ["backend", "queue-short-1", "scheduler", "frontend"].map(name),
            volumeNames: { sites: SITES_VOLUME },
            siteApps: {
                "erp.example.com": ["erpnext", "hrms"],
                "crm.example.com": ["crm"],
                "new.example.com": ["erpnext"],
            },
        });
    });

    after(function () {
        command?.dispose();
        if (!engine) return;
        assert.deepEqual(cleanUp(STACK, IMAGE), [], "everything the tier created is removed");
    });

    it("shows each process with its container, state, health and image, and the failed job's kept container", () => {
        const r = status(["--stack", STACK]);
        assert.equal(r.status, 0, r.stderr);
        if (process.env.FRAPPE_SHOW_STATUS) console.log(r.stdout);
        const line = (n: string) => r.stdout.split("\n").find((l) => l.includes(` ${n} `) || l.endsWith(` ${n}`)) ?? "";
        assert.match(
            line(name("backend")),
            new RegExp(`^backend\\s+${name("backend")}\\s+running\\s+healthy\\s+${IMAGE.replace(/[.]/g, "\\.")}`),
        );
        assert.match(line(name("queue-short-1")), /^queue-short\s+\S+\s+running\s+unhealthy\s/);
        assert.match(line(name("scheduler")), /^scheduler\s+\S+\s+running\s+none\s/);
        assert.match(line(name("frontend")), /^frontend\s+\S+\s+missing\s+-\s+-$/);
        assert.match(
            r.stdout,
            new RegExp(`Containers of jobs, kept for docker logs: ${name("migrate")} \\(exited \\(3\\)\\)`),
        );
    });

    it("shows each site with its apps, maintenance, the newest backup, the last offsite backup and restore drill", () => {
        const r = status(["--stack", STACK]);
        assert.equal(r.status, 0, r.stderr);
        const site = (s: string) => r.stdout.split("\n").find((l) => l.startsWith(s)) ?? "";
        assert.match(
            site("erp.example.com"),
            /^erp\.example\.com\s+erpnext, hrms\s+ON\s+2h ago\s+5h ago \(ok\)\s+3d ago \(FAILED: restore failed\)$/,
        );
        assert.match(site("crm.example.com"), /^crm\.example\.com\s+crm\s+off\s+never\s+5h ago \(ok\)\s+never$/);
        assert.match(site("new.example.com"), /^new\.example\.com \(not created\)\s+erpnext\s+off/);
        assert.doesNotMatch(
            r.stdout + r.stderr,
            /do-not-print/,
            "site_config.json's secrets never leave the container",
        );
    });

    it("is read-only: it leaves the containers, the volume and its files as they were", () => {
        const before = dockerOk([
            "ps",
            "-a",
            "--filter",
            `label=frappe.stack=${STACK}`,
            "--format",
            "{{.Names}} {{.State}}",
        ]);
        const json = status(["--stack", STACK, "--json"]);
        assert.equal(json.status, 0, json.stderr);
        const parsed = JSON.parse(json.stdout) as {
            processes: { name: string; health: string }[];
            sites: { site: string; maintenance: boolean }[];
        };
        assert.equal(parsed.processes.find((p) => p.name === name("backend"))?.health, "healthy");
        assert.equal(parsed.sites.find((s) => s.site === "erp.example.com")?.maintenance, true);
        assert.equal(
            dockerOk(["ps", "-a", "--filter", `label=frappe.stack=${STACK}`, "--format", "{{.Names}} {{.State}}"]),
            before,
        );
        assert.equal(
            dockerOk(["ps", "-a", "--filter", `label=frappe.status-of=${STACK}`, "-q"]),
            "",
            "its reader container is gone",
        );
    });

    it("says why when the stack has no outputs or docker cannot reach the host", () => {
        const none = status(["--stack", `nope-${RUN_ID}`]);
        assert.equal(none.status, 1);
        assert.match(
            none.stderr,
            new RegExp(
                `status: cannot read the outputs of stack nope-${RUN_ID}: error: no stack named 'nope-${RUN_ID}' found`,
            ),
        );
        const far = status(["--stack", STACK], { DOCKER_HOST: "tcp://127.0.0.1:1" });
        assert.equal(far.status, 1);
        assert.match(far.stderr, /status: cannot list the containers of/);
    });
});
