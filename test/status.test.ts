import { strict as assert } from "assert";
import { age, formatStatus, parseSites, parseStatusArgs, swarmRows } from "../scripts/status";

/** The pure parts of npm run status; the whole command runs against a real engine in test/engine/status.test.ts. */
describe("npm run status: arguments and the sites volume's records", () => {
    it("takes --stack NAME (or --stack=NAME, -s NAME) and --json, and refuses anything else", () => {
        assert.deepEqual(parseStatusArgs(["--stack", "production"]), { stack: "production", json: false });
        assert.deepEqual(parseStatusArgs(["--stack=staging", "--json"]), { stack: "staging", json: true });
        assert.deepEqual(parseStatusArgs(["-s", "local"]), { stack: "local", json: false });
        assert.throws(() => parseStatusArgs([]), /which stack\? usage: npm run status -- --stack NAME/);
        assert.throws(() => parseStatusArgs(["--stack", "x", "--all"]), /unknown argument --all/);
    });

    it("joins the configured sites with what the volume holds, and ages the backups from the host's clock", () => {
        const text = [
            "site\terp.example.com\t1\t20250101_120000-erp-database.sql.gz\t1000",
            "site\told.example.com\t0\t\t",
            'status\toffsite.json\t{"finished": "1970-01-01T00:10:00Z", "ok": true, "snapshot": "a", "error": null}',
            'status\tdrill-erp.example.com.json\t{"finished": "nonsense", "ok": false, "error": "boom"}',
            "now\t4600",
        ].join("\n");
        const sites = parseSites(text, { "erp.example.com": ["erpnext"], "new.example.com": ["crm"] });
        assert.deepEqual(
            sites.map((s) => [
                s.site,
                s.configured,
                s.onVolume,
                s.maintenance,
                s.backupAgeSeconds,
                s.offsite?.ageSeconds,
            ]),
            [
                ["erp.example.com", true, true, true, 3600, 4000],
                ["new.example.com", true, false, false, undefined, 4000],
                ["old.example.com", false, true, false, undefined, 4000],
            ],
        );
        assert.deepEqual(sites[0].drill, { ageSeconds: undefined, ok: false, error: "boom" });
        assert.equal(sites[1].drill, undefined);
    });

    it("reads a Swarm service's replicas, last update and the images its running tasks run", () => {
        const spec = (name: string, image: string, update?: string) => ({
            Spec: { Name: name, TaskTemplate: { ContainerSpec: { Image: image } } },
            ...(update === undefined ? {} : { UpdateStatus: { State: update } }),
        });
        const task = (name: string, image: string, state: string) => ({
            Name: name,
            Image: image,
            CurrentState: state,
        });
        const rows = swarmRows(
            "prod",
            [
                { Name: "frappe-prod-backend", Replicas: "1/2" },
                { Name: "frappe-prod-db", Replicas: "1/1 (max 1 per node)" },
                { Name: "frappe-prod-frontend", Replicas: "0/2" },
            ],
            [
                spec("frappe-prod-backend", "erp:v2@sha256:abc", "paused"),
                spec("frappe-prod-db", "postgres:15"),
                spec("frappe-prod-frontend", "erp:v2", "updating"),
            ],
            [
                task("frappe-prod-backend.1", "erp:v2@sha256:abc", "Starting 2 seconds ago"),
                task(" \\_ frappe-prod-backend.1", "erp:v1", "Running 3 minutes ago"),
                task("frappe-prod-backend.2", "erp:v1", "Running 3 minutes ago"),
                task("frappe-prod-db.1", "postgres:15", "Running 9 minutes ago"),
            ],
        );
        assert.deepEqual(
            rows.map((r) => [r.role, r.state, r.health, r.update, r.image, r.runningImages]),
            [
                ["backend", "1/2 running", "degraded", "paused", "erp:v2@sha256:abc", ["erp:v1"]],
                ["db", "1/1 (max 1 per node) running", "healthy", "-", "postgres:15", ["postgres:15"]],
                ["frontend", "0/2 running", "converging", "updating", "erp:v2", []],
            ],
        );
        const table = formatStatus({
            stack: "prod",
            dockerHost: "ssh://m",
            orchestrator: "swarm",
            processes: rows,
            keptJobs: [],
            sites: [],
        });
        assert.match(table, /^PROCESS\s+SERVICE\s+STATE\s+HEALTH\s+UPDATE\s+IMAGE$/m);
        assert.match(
            table,
            /^backend\s+frappe-prod-backend\s+1\/2 running\s+degraded\s+paused\s+erp:v2@sha256:abc \(also running erp:v1\)$/m,
        );
    });

    it("says ages the way people read them", () => {
        assert.deepEqual(
            [undefined, 30, 600, 7200, 3 * 86400].map((s) => age(s)),
            ["never", "30s ago", "10m ago", "2h ago", "3d ago"],
        );
    });
});
