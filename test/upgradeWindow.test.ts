import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ScriptFile } from "../components/bench/scriptFiles";
import { composedScript } from "../components/jobs/jobRun";
import { maintenanceWindow } from "../components/jobs/window";
import { closure, jobsInWindow, keyOf, simulateDeploy } from "./deploySim";
import { byName, jobOf, jobs, ProgramRun, runProgram, RunOptions } from "./harness";
import { FAKE_BENCH_DIR, TempBench, tempBench } from "./jobScript";

/**
 * The maintenance window does not grow with the number of sites (issue 18), and the backup that
 * guards a migration holds every committed write (issue 15 item 4). Deploy simulations: which jobs
 * a deploy runs, decided as the command provider decides it (deploySim.ts), and in which order.
 */

const SECRETS = { dbPassword: "Db-Secret-7f3a", adminPassword: "Admin-Secret-91c2" };

function sites(n: number, extra: { name: string; apps: string[] }[] = []): { name: string; apps: string[] }[] {
    return [...Array.from({ length: n }, (_, i) => ({ name: `s${i + 1}.example.com`, apps: ["erpnext"] })), ...extra];
}

function deploy(tag: string, siteList: { name: string; apps: string[] }[]): Promise<ProgramRun> {
    return runProgram({ stack: "staging", config: { tag, sites: siteList }, secrets: SECRETS });
}

/** Jobs that do per-site work (creating sites, installing apps): one per site, or one for all sites. */
const isSiteJob = (key: string) => /^sites?(-|$)/.test(key);

/**
 * A bench directory (test/jobScript.ts) as the earlier deploys left it: these sites exist with these
 * apps installed, and the site work recorded what it installed (private/.deployed-apps).
 */
function benchWith(sitesNow: { name: string; apps: string[] }[], imageApps: string[]): TempBench {
    const b = tempBench(imageApps);
    for (const s of sitesNow) {
        const dir = path.join(b.dir, "sites", s.name);
        fs.mkdirSync(path.join(dir, "private", "backups"), { recursive: true });
        fs.writeFileSync(path.join(dir, "site_config.json"), '{"db_name":"_x"}');
        fs.writeFileSync(path.join(dir, ".fake-installed"), ["frappe", ...s.apps].join("\n") + "\n");
        fs.writeFileSync(path.join(dir, "private", ".deployed-apps"), s.apps.join(" "));
    }
    return b;
}

/**
 * Runs a job's container script as run-job.sh puts it together (secret prelude, helpers, script), with
 * its parameters and its secrets on stdin, in a bench directory with the stand-in bench
 * (test/fakebench); returns every bench call so far.
 */
function runJobScript(run: ProgramRun, key: string, b: TempBench): string[] {
    const view = jobOf(run, key);
    const env = view.resource.inputs.environment as Record<string, string>;
    const helpers = (env.FRAPPE_JOB_HELPERS ?? "").split(" ").filter(Boolean) as ScriptFile[];
    const script = composedScript(env.FRAPPE_JOB_SCRIPT as ScriptFile, env.FRAPPE_JOB_PRELUDE === "1", helpers);
    const stdin = Object.entries(view.secrets)
        .map(
            ([file, value]) =>
                `${path.join(b.secrets, path.basename(file))} ${Buffer.from(value).toString("base64")}\n`,
        )
        .join("");
    const r = spawnSync("bash", ["-c", script], {
        cwd: b.dir,
        encoding: "utf8",
        input: stdin,
        env: {
            PATH: `${FAKE_BENCH_DIR}:${process.env.PATH ?? ""}`,
            ...view.env,
            SECRETS_DIR: b.secrets,
            FAKE_BENCH_LOG: b.log,
            DRAIN_INTERVAL: "0",
        },
    });
    assert.equal(r.status, 0, `${key}: ${r.stdout}${r.stderr}`);
    return fs.existsSync(b.log) ? fs.readFileSync(b.log, "utf8").trim().split("\n") : [];
}

describe("a maintenance window that does not grow with the number of sites", function () {
    // Several whole-program runs per test; a loaded CI machine needs more than mocha's default.
    this.timeout(180_000);

    it("runs no site job on a tag change with 3 sites, and the same window jobs as with 1 site", async () => {
        const windows: string[][] = [];
        for (const n of [1, 3]) {
            const first = simulateDeploy(new Map(), await deploy("v15.88.1", sites(n)));
            const upgrade = await deploy("v15.89.0", sites(n));
            const tag = simulateDeploy(first.record, upgrade);
            assert.equal(tag.failed, undefined);
            assert.deepEqual(tag.ran.filter(isSiteJob), [], `${n} site(s): ${tag.ran.join(", ")}`);
            assert.ok(tag.ran.includes("migrate"), "bench --site all migrate covers every site");
            const window = new Set(jobsInWindow(upgrade));
            windows.push(tag.ran.filter((k) => window.has(k)));
        }
        assert.deepEqual(windows[1], windows[0]);
    });

    it("creates a site added on a tag change after the window closed, and touches no other site", async () => {
        const first = simulateDeploy(new Map(), await deploy("v15.88.1", sites(2)));
        const shop = { name: "shop.example.com", apps: ["erpnext"] };
        const run = await deploy("v15.89.0", sites(2, [shop]));
        const tag = simulateDeploy(first.record, run);
        assert.equal(tag.failed, undefined);
        const siteJobs = tag.ran.filter(isSiteJob);
        assert.ok(siteJobs.length > 0, tag.ran.join(", "));
        for (const key of siteJobs) {
            assert.ok(
                closure(run, `frappe-bench-${key}`).has("frappe-bench-maintenance-off"),
                `${key} after the sites reopened`,
            );
            // Not part of the window: reopening never waits for it.
            assert.ok(!closure(run, "frappe-bench-maintenance-off").has(`frappe-bench-${key}`), key);
        }
        const bench = benchWith(sites(2), ["frappe", "erpnext"]);
        let calls: string[] = [];
        for (const key of siteJobs) {
            calls = runJobScript(run, key, bench);
        }
        fs.rmSync(bench.dir, { recursive: true, force: true });
        assert.equal(calls.filter((c) => c.startsWith("new-site shop.example.com ")).length, 1, calls.join(" | "));
        assert.deepEqual(
            calls.filter((c) => /s[12]\.example\.com|--site all/.test(c)),
            [],
            "nothing touches the other sites",
        );
    });

    it("backs up only the site an app was added to, then installs it, with the other sites open", async () => {
        const before = sites(2);
        const first = simulateDeploy(new Map(), await deploy("v15.88.1", before));
        const more = [before[0], { name: "s2.example.com", apps: ["erpnext", "hrms"] }];
        const run = await deploy("v15.88.1", more);
        const change = simulateDeploy(first.record, run);
        assert.equal(change.failed, undefined);
        for (const key of ["maintenance-on", "migrate", "maintenance-off"]) {
            assert.ok(!change.ran.includes(key), `${key} must not run: ${change.ran.join(", ")}`);
        }
        assert.deepEqual(
            change.ran.filter((k) => /s1\.example\.com/.test(k)),
            [],
            "the other site's jobs do not run",
        );
        // What the jobs that ran do, in order, against a stand-in bench where s2 has erpnext only.
        const bench = benchWith(before, ["frappe", "erpnext", "hrms"]);
        let calls: string[] = [];
        for (const key of change.ran) {
            calls = runJobScript(run, key, bench);
        }
        fs.rmSync(bench.dir, { recursive: true, force: true });
        const backup = calls.findIndex((c) => /^--site s2\.example\.com backup\b/.test(c));
        const install = calls.findIndex((c) => /^--site s2\.example\.com install-app hrms$/.test(c));
        assert.ok(backup >= 0, `s2 backed up: ${calls.join(" | ")}`);
        assert.ok(install > backup, `installed after the backup: ${calls.join(" | ")}`);
        assert.deepEqual(
            calls.filter((c) => /--site (all|s1\.example\.com)\b/.test(c)),
            [],
            "nothing touches the other site",
        );
    });
});

describe("the backup that guards a migration holds every committed write", function () {
    this.timeout(120_000);

    it("is taken after maintenance-on closed the sites and drained the queue, before migrate", async () => {
        const run = await deploy("v15.88.1", sites(2));
        const backup = jobs(run)
            .map((j) => keyOf(j.name))
            .find((k) => closure(run, "frappe-bench-migrate").has(`frappe-bench-${k}`) && /backup/.test(k));
        assert.ok(backup !== undefined, "a backup job before migrate");
        assert.ok(
            closure(run, `frappe-bench-${backup}`).has("frappe-bench-maintenance-on"),
            `${backup} after maintenance-on`,
        );
    });
});

describe("a database server image change is guarded like an upgrade", function () {
    this.timeout(180_000);
    const site = sites(2);
    /** The stack as the earlier deploy left it running on the Docker host. */
    const running = (dbImage: string, version: string) => [
        { name: "frappe-staging-db", image: dbImage, env: [`MARIADB_VERSION=${version}`, "PATH=/usr/bin"] },
        { name: "frappe-staging-backend", image: "frappe/erpnext:v15.88.1" },
    ];
    const withDb = (image: string, more: Partial<RunOptions> = {}) =>
        runProgram({
            stack: "staging",
            config: { tag: "v15.88.1", sites: site, db: { type: "mariadb", image } },
            secrets: SECRETS,
            ...more,
        });

    it("closes and backs up every site with the old server, then replaces it, then reopens; no migration", async () => {
        const first = simulateDeploy(new Map(), await withDb("mariadb:11.4"));
        const run = await withDb("mariadb:11.8", { running: running("mariadb:11.4", "1:11.4.5+maria~ubu2404") });
        assert.equal(run.error, undefined, run.error?.message);
        const change = simulateDeploy(first.record, run);
        assert.deepEqual(change.ran, ["db-upgrade", "maintenance-off"]);
        const guard = jobOf(run, "db-upgrade");
        const env = guard.resource.inputs.environment as Record<string, string>;
        assert.deepEqual(
            [env.DBGUARD_ENGINE, env.DBGUARD_KIND, env.DBGUARD_NAME, env.DBGUARD_IMAGE],
            ["mariadb", "container", "frappe-staging-db", "mariadb:11.8"],
        );
        // It ran its container (a real run token), with the image the backend runs.
        assert.match(String(guard.resource.state.stdout), /^frappe-job-run: c0ffeefrappe-staging-db-upgrade$/m);
        assert.equal(env.FRAPPE_JOB_IMAGE_FROM, "container frappe-staging-backend");
        assert.equal(env.FRAPPE_JOB_HELPERS, "maintenance-on.sh backup.sh maintenance-off.sh");
        assert.match(guard.script, /bash "\$helpers\/maintenance-on.sh"\nif ! bash "\$helpers\/backup.sh"; then/);
        // The server waits for it; the sites reopen only after the new server and the health gate.
        assert.deepEqual(byName(run, "frappe-bench-db").opts.dependsOn, ["frappe-bench-db-upgrade"]);
        assert.ok(closure(run, "frappe-bench-maintenance-off").has("frappe-bench-db"));
    });

    it("refuses a downgrade of the major version before closing anything, and keeps the server", async () => {
        const run = await withDb("mariadb:11.4", { running: running("mariadb:11.8", "1:11.8.2+maria~ubu2404") });
        assert.match(
            run.error?.message ?? "",
            /database guard: mariadb:11\.4 is MariaDB 11\.4, older than the 11\.8 whose data files the server holds: a downgrade of the major version is refused/,
        );
        assert.match(
            run.error?.message ?? "",
            /The database server keeps running mariadb:11\.8 and the sites stay open/,
        );
        const registered = new Set(run.resources.filter((r) => r.custom && r.registered).map((r) => keyOf(r.name)));
        for (const key of ["db-upgrade", "db", "configurator", "maintenance-on", "backend", "maintenance-off"]) {
            assert.ok(!registered.has(key), `${key} must not happen after a refused downgrade`);
        }
    });

    it("has nothing to guard on a first deploy or when the server already runs the image", async () => {
        const fresh = await withDb("mariadb:11.8");
        assert.match(
            String(jobOf(fresh, "db-upgrade").resource.state.stdout),
            /^frappe-job-run: skipped:frappe-staging-db-upgrade$/m,
        );
        const same = await withDb("mariadb:11.8", { running: running("mariadb:11.8", "1:11.8.2+maria~ubu2404") });
        assert.match(
            String(jobOf(same, "db-upgrade").resource.state.stdout),
            /already runs mariadb:11\.8; nothing to guard/,
        );
    });
});

describe("how long the sites were closed", function () {
    this.timeout(120_000);
    const LINE = "frappe-window: start=2026-03-01T02:00:00Z end=2026-03-01T02:05:12Z seconds=312";

    it("reads the window from maintenance-off's line, exactly and only that line", () => {
        assert.deepEqual(maintenanceWindow(`maintenance-off: sites open again: a\n${LINE}\nfrappe-job-run: c0ffee\n`), {
            start: "2026-03-01T02:00:00Z",
            end: "2026-03-01T02:05:12Z",
            seconds: 312,
        });
        assert.equal(maintenanceWindow("maintenance-off: no sites yet, nothing to do\n"), undefined);
        // Anything beyond the two timestamps and the number keeps the line out: nothing else of the
        // job's (secret) output can reach the stack output.
        for (const bad of [
            `${LINE} Db-Secret-7f3a`,
            LINE.replace("312", "312x"),
            ` ${LINE}`,
            LINE.replace("Z end", " end"),
        ]) {
            assert.equal(maintenanceWindow(bad), undefined, bad);
        }
    });

    it("exports the last window as the stack output maintenanceWindow, not as a secret", async () => {
        const run = await runProgram({
            stack: "staging",
            config: { tag: "v15.88.1", sites: sites(1) },
            secrets: SECRETS,
            jobOutput: {
                "frappe-staging-maintenance-off": `maintenance-off: sites open again: s1.example.com\n${LINE}`,
            },
        });
        assert.equal(run.error, undefined, run.error?.message);
        assert.deepEqual(run.outputs.maintenanceWindow, {
            value: { start: "2026-03-01T02:00:00Z", end: "2026-03-01T02:05:12Z", seconds: 312 },
            secret: false,
        });
        // The job's output itself stays a secret in the state.
        assert.deepEqual(jobOf(run, "maintenance-off").resource.opts.additionalSecretOutputs, ["stdout", "stderr"]);
    });
});
