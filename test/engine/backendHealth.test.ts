import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BACKEND_PORT, SITES_DIR } from "../../components/bench/layout";
import { byName, runProgram } from "../harness";
import { scenario } from "../scenarios";

/*
 * The backend's healthcheck, as the program renders it, run the way Docker runs a CMD-SHELL check
 * (/bin/sh -c) against a sites directory laid out per case and a stand-in gunicorn that answers the ping
 * per Host header as Frappe does (test/engine/fakes/gunicorn, frappe/app.py init_request). It must be
 * healthy on a first deploy before any site exists (sites are created after the app processes are
 * healthy, issue 18), never ping a site still being installed, and count maintenance mode as alive.
 * Runs in private mount and network namespaces (unshare, root), so neither the host's /home nor its
 * port 8000 is touched.
 */

const SCRIPT = path.join(__dirname, "backend-health.sh");

function whyNoNamespaces(): string | undefined {
    const r = spawnSync("unshare", ["--mount", "--net", "--fork", "true"], { encoding: "utf8" });
    if (r.error !== undefined) return `unshare cannot be run (${r.error.message})`;
    if (r.status !== 0) return `unshare --mount --net needs root (${r.stderr.trim()})`;
    if (!fs.existsSync("/usr/bin/python3")) return "the stand-in gunicorn needs /usr/bin/python3";
    if (spawnSync("curl", ["--version"]).status !== 0) return "the healthcheck needs curl";
    return undefined;
}

type Site = { config?: Record<string, unknown>; installing?: boolean };

interface Outcome {
    readonly healthy: boolean;
    readonly pings: string[];
}

describe("real healthcheck: the backend is healthy when Frappe answers for a site that exists now", function () {
    this.timeout(120_000);
    let check: string;
    let dir: string;

    before(async function () {
        const why = whyNoNamespaces();
        if (why !== undefined) {
            if (process.env.CI === "true") throw new Error(`CI=true, so this test must run, but ${why}`);
            console.log(`      backend healthcheck test SKIPPED: ${why}`);
            this.skip();
        }
        const run = await runProgram(scenario("mariadb-traefik-one-site"));
        const tests = (byName(run, "frappe-bench-backend").inputs.healthcheck as { tests: string[] }).tests;
        assert.equal(tests[0], "CMD-SHELL");
        check = tests[1];
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "backend-health-"));
    });

    after(() => {
        if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    });

    let n = 0;
    function probe(sites: Record<string, Site>, serve: "none" | "gunicorn"): Outcome {
        const layout = path.join(dir, String(++n));
        fs.mkdirSync(path.join(layout, "assets"), { recursive: true });
        fs.writeFileSync(path.join(layout, "common_site_config.json"), "{}");
        for (const [name, site] of Object.entries(sites)) {
            fs.mkdirSync(path.join(layout, name, "locks"), { recursive: true });
            if (site.config !== undefined) {
                fs.writeFileSync(path.join(layout, name, "site_config.json"), JSON.stringify(site.config));
            }
            if (site.installing === true) fs.writeFileSync(path.join(layout, name, "locks", "installing.lock"), "");
        }
        const args = [
            "--mount",
            "--net",
            "--fork",
            "bash",
            SCRIPT,
            check,
            layout,
            SITES_DIR,
            String(BACKEND_PORT),
            serve,
        ];
        const r = spawnSync("unshare", args, { encoding: "utf8", timeout: 60_000 });
        assert.equal(r.status, 0, `backend-health.sh: ${r.stderr}`);
        const [first, ...pings] = r.stdout.trim().split("\n");
        return { healthy: first === "exit=0", pings };
    }

    const READY = { config: { db_name: "_a1b2" } };

    it("without any site (a first deploy), is healthy once gunicorn's port answers, and not before", () => {
        assert.deepEqual(probe({}, "gunicorn"), { healthy: true, pings: [] });
        assert.equal(probe({}, "none").healthy, false);
    });

    it("pings a site that exists, by its name, and is unhealthy when the backend does not answer", () => {
        assert.deepEqual(probe({ "erp.example.com": READY }, "gunicorn"), {
            healthy: true,
            pings: ["erp.example.com 200"],
        });
        assert.equal(probe({ "erp.example.com": READY }, "none").healthy, false);
    });

    it("never pings a site still being installed (locks/installing.lock) or without site_config.json", () => {
        const installing = { config: { db_name: "_c3d4" }, installing: true };
        assert.deepEqual(probe({ "a.example.com": installing, "b.example.com": {} }, "gunicorn"), {
            healthy: true,
            pings: [],
        });
        assert.deepEqual(probe({ "a.example.com": installing, "c.example.com": READY }, "gunicorn"), {
            healthy: true,
            pings: ["c.example.com 200"],
        });
    });

    it("counts maintenance mode (503, sites closed during an upgrade) as alive, and Frappe's 404 as not", () => {
        const closed = { config: { db_name: "_a1b2", maintenance_mode: 1 } };
        assert.deepEqual(probe({ "erp.example.com": closed }, "gunicorn"), {
            healthy: true,
            pings: ["erp.example.com 503"],
        });
        // site_config.json without db_name: Frappe takes the site as missing (404), so the backend is not healthy.
        assert.deepEqual(probe({ "erp.example.com": { config: {} } }, "gunicorn"), {
            healthy: false,
            pings: ["erp.example.com 404"],
        });
    });
});
