import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ScriptFile, scriptPath } from "../components/bench/scriptFiles";
import { runJobScript, TempBench, tempBench } from "./jobScript";

/**
 * The scripts of the maintenance window and of the sites job, run in a temporary bench directory
 * with the stand-in bench (test/fakebench/bench, which applies frappe/installer.py's new-site rules)
 * and the stand-in Docker CLI (test/fakebin/docker).
 */

interface Bench extends TempBench {
    /** Where the helpers a job's script runs are (run-job.sh writes them there: FRAPPE_JOB_HELPERS_DIR). */
    readonly helpers: string;
}

const PASSWORDS = { "db-root-password": "root pw", "admin-password": "admin" };

function bench(apps: string[] = ["frappe", "erpnext", "hrms"]): Bench {
    const b = tempBench(apps);
    const helpers = path.join(b.dir, "helpers");
    fs.mkdirSync(helpers);
    for (const h of ["backup.sh", "maintenance-on.sh"] as const) {
        fs.copyFileSync(scriptPath(h), path.join(helpers, h));
    }
    return { ...b, helpers };
}

function addSite(b: Bench, site: string, installed?: string[]): void {
    fs.mkdirSync(path.join(b.dir, "sites", site, "private", "backups"), { recursive: true });
    fs.writeFileSync(path.join(b.dir, "sites", site, "site_config.json"), '{"db_name":"_x"}');
    if (installed !== undefined) {
        fs.writeFileSync(path.join(b.dir, "sites", site, ".fake-installed"), installed.join("\n") + "\n");
    }
}

function siteConfig(b: Bench, site: string): Record<string, unknown> {
    return JSON.parse(fs.readFileSync(path.join(b.dir, "sites", site, "site_config.json"), "utf8")) as Record<
        string,
        unknown
    >;
}

/** Runs a job script as its container does (sites.sh with its secrets on stdin, after the prelude). */
function run(b: Bench, file: ScriptFile, env: Record<string, string>) {
    return runJobScript(
        b,
        file,
        { FRAPPE_JOB_HELPERS_DIR: b.helpers, DB_ROOT_USER: "root", DRAIN_INTERVAL: "0", ...env },
        file === "sites.sh" ? { secrets: PASSWORDS } : {},
    );
}

describe("the sites job (sites.sh, run)", function () {
    this.timeout(60_000);

    it("creates new sites side by side, never more than SITES_PARALLEL at once, the first listed as default", () => {
        const b = bench();
        const running = path.join(b.dir, "running");
        // Sample how many new-site runs are under way while the job runs.
        const sampler = spawn("bash", [
            "-c",
            `max=0; while [ ! -f "${b.dir}/done" ]; do n=$(ls "${running}" 2>/dev/null | wc -l); [ "$n" -gt "$max" ] && max=$n; sleep 0.05; done; echo $max`,
        ]);
        let max = "";
        sampler.stdout.on("data", (d: Buffer) => (max += d.toString()));
        const r = run(b, "sites.sh", {
            SITES: "a.example.com:erpnext b.example.com:erpnext,hrms c.example.com: d.example.com:erpnext e.example.com:erpnext",
            DEFAULT_SITE: "a.example.com",
            SITES_PARALLEL: "2",
            FAKE_BENCH_SLOW: "1",
            FAKE_BENCH_RUNNING: running,
        });
        fs.writeFileSync(path.join(b.dir, "done"), "");
        assert.equal(r.status, 0, r.stdout + r.stderr);
        const news = r.calls.filter((c) => c.startsWith("new-site"));
        assert.equal(news.length, 5);
        assert.deepEqual(
            news.filter((c) => c.endsWith("--set-default")).map((c) => c.split(" ")[1]),
            ["a.example.com"],
        );
        assert.ok(
            news.includes(
                "new-site b.example.com --mariadb-user-host-login-scope=% --db-root-username root " +
                    "--db-root-password root pw --admin-password admin --install-app erpnext --install-app hrms",
            ),
        );
        assert.match(r.stdout, /^\[b\.example\.com\] sites: creating b\.example\.com$/m);
        return new Promise<void>((resolve) =>
            sampler.on("close", () => {
                assert.equal(Number(max.trim()), 2, "two at once, not more");
                for (const s of ["a", "b", "c", "d", "e"]) {
                    assert.ok(
                        fs.existsSync(path.join(b.dir, "sites", `${s}.example.com`, "private", ".deployed-apps")),
                    );
                }
                resolve();
            }),
        );
    });

    it("passes Postgres flags to new-site", () => {
        const b = bench();
        const r = run(b, "sites.sh", { SITES: "a.example.com:", DB_TYPE: "postgres", DB_ROOT_USER: "postgres" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.calls[0], /^new-site a\.example\.com --db-type postgres --db-root-username postgres /);
        assert.doesNotMatch(r.calls[0], /mariadb/);
    });

    it("lets every other site finish when one fails, then fails naming it", () => {
        const b = bench();
        const r = run(b, "sites.sh", {
            SITES: "a.example.com:erpnext b.example.com:erpnext c.example.com:hrms",
            SITES_PARALLEL: "1",
            FAKE_BENCH_FAIL_SITE: "a.example.com",
        });
        assert.equal(r.status, 1);
        assert.match(
            r.stderr + r.stdout,
            /sites: failed: a\.example\.com \(their lines above are prefixed with the site\)/,
        );
        assert.match(r.stdout, /^\[a\.example\.com\] new-site a\.example\.com: installing failed$/m);
        for (const s of ["b", "c"]) {
            assert.ok(fs.existsSync(path.join(b.dir, "sites", `${s}.example.com`, "private", ".deployed-apps")), s);
        }
        // The failed site is not recorded as done: the next run looks at it again.
        assert.ok(!fs.existsSync(path.join(b.dir, "sites", "a.example.com", "private", ".deployed-apps")));
    });

    it("fails a site whose app is not in the image, naming app and image, and only that site", () => {
        const b = bench(["frappe", "erpnext"]);
        const r = run(b, "sites.sh", {
            SITES: "a.example.com:erpnext,lms b.example.com:erpnext",
            FRAPPE_IMAGE: "frappe/erpnext:v15.88.1",
        });
        assert.equal(r.status, 1);
        assert.match(
            r.stdout,
            /\[a\.example\.com\] sites: app lms of site a\.example\.com is not in the image frappe\/erpnext:v15\.88\.1 \(it has: erpnext frappe\)/,
        );
        assert.deepEqual(
            r.calls.filter((c) => c.includes("a.example.com")),
            [],
            "nothing touched a.example.com",
        );
        assert.ok(r.calls.some((c) => c.startsWith("new-site b.example.com")));
    });

    it("leaves a site alone whose apps were installed by an earlier run, without starting Frappe", () => {
        const b = bench();
        addSite(b, "a.example.com");
        fs.writeFileSync(path.join(b.dir, "sites", "a.example.com", "private", ".deployed-apps"), "erpnext hrms");
        const r = run(b, "sites.sh", { SITES: "a.example.com:erpnext,hrms" });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, []);
        assert.match(r.stdout, /\[a\.example\.com\] sites: a\.example\.com unchanged/);
    });

    it("closes, drains and backs up only the site that gets a new app, installs it and reopens it", () => {
        const b = bench();
        addSite(b, "a.example.com", ["frappe", "erpnext"]);
        addSite(b, "b.example.com", ["frappe", "erpnext"]);
        fs.writeFileSync(path.join(b.dir, "sites", "b.example.com", "private", ".deployed-apps"), "erpnext");
        const r = run(b, "sites.sh", { SITES: "a.example.com:erpnext,hrms b.example.com:erpnext" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.deepEqual(r.calls, [
            "--site a.example.com list-apps",
            "--site a.example.com set-maintenance-mode on",
            "--site a.example.com scheduler pause",
            "--site a.example.com ready-for-migration --help",
            "--site a.example.com ready-for-migration",
            `--site a.example.com backup --backup-path ${b.dir}/sites/.backups/a.example.com --with-files`,
            "--site a.example.com install-app hrms",
            "--site a.example.com scheduler resume",
            "--site a.example.com set-maintenance-mode off",
        ]);
        assert.ok(
            !fs.existsSync(path.join(b.dir, "sites", ".backups", "b.example.com")),
            "the other site is not backed up",
        );
        assert.equal(
            fs.readFileSync(path.join(b.dir, "sites", "a.example.com", "private", ".deployed-apps"), "utf8"),
            "erpnext hrms",
        );
    });

    it("keeps the site closed when the install fails, backed up just before", () => {
        const b = bench();
        addSite(b, "a.example.com", ["frappe", "erpnext"]);
        const r = run(b, "sites.sh", { SITES: "a.example.com:erpnext,hrms", FAKE_BENCH_FAIL_APP: "hrms" });
        assert.equal(r.status, 1);
        assert.match(r.stdout, /installing hrms on a\.example\.com failed; a\.example\.com stays in maintenance mode/);
        assert.equal(siteConfig(b, "a.example.com").maintenance_mode, 1);
        assert.ok(!r.calls.includes("--site a.example.com set-maintenance-mode off"));
        assert.ok(
            r.calls.some((c) => /^--site a\.example\.com backup --backup-path \S+ --with-files$/.test(c)),
            r.calls.join("\n"),
        );
    });
});

describe("the maintenance window and backup-cron exclude each other (lock, run)", function () {
    this.timeout(60_000);

    it("records the window in maintenance-on and reports it in maintenance-off, in a line the program reads", () => {
        const b = bench();
        addSite(b, "a.example.com");
        const on = run(b, "maintenance-on.sh", {});
        assert.equal(on.status, 0, on.stderr);
        const window = fs.readFileSync(path.join(b.dir, "sites", ".deploy", "window"), "utf8");
        assert.match(window, /^\d+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
        const off = run(b, "maintenance-off.sh", {});
        assert.equal(off.status, 0, off.stderr);
        assert.match(
            off.stdout,
            /^frappe-window: start=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ end=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ seconds=\d+$/m,
        );
        assert.ok(!fs.existsSync(path.join(b.dir, "sites", ".deploy", "window")), "closed");
    });

    it("reopens the sites it closed when draining fails in a window it opened, and only then", () => {
        const b = bench();
        addSite(b, "a.example.com");
        addSite(b, "b.example.com");
        const busy = { FAKE_BENCH_BUSY: "1", DRAIN_ATTEMPTS: "2", DRAIN_INTERVAL: "0" };
        const fresh = run(b, "maintenance-on.sh", busy);
        assert.equal(fresh.status, 1);
        assert.match(
            fresh.stderr,
            /nothing was changed yet, so the sites it closed are open again: a\.example\.com b\.example\.com/,
        );
        for (const s of ["a.example.com", "b.example.com"]) {
            assert.deepEqual([siteConfig(b, s).maintenance_mode, siteConfig(b, s).pause_scheduler], [0, 0], s);
        }
        assert.ok(!fs.existsSync(path.join(b.dir, "sites", ".deploy", "window")), "no window left open");
        // A window an earlier deploy left open (a failed migration): the sites stay closed.
        fs.writeFileSync(path.join(b.dir, "sites", ".deploy", "window"), "1767225600 2026-01-01T00:00:00Z\n");
        const left = run(b, "maintenance-on.sh", busy);
        assert.equal(left.status, 1);
        assert.doesNotMatch(left.stderr, /open again/);
        assert.equal(siteConfig(b, "a.example.com").maintenance_mode, 1);
        assert.ok(fs.existsSync(path.join(b.dir, "sites", ".deploy", "window")));
    });

    it("waits for a running scheduled backup before closing a site, and gives up with the sites open", async () => {
        const b = bench();
        addSite(b, "a.example.com");
        fs.mkdirSync(path.join(b.dir, "sites", ".deploy"));
        const lock = path.join(b.dir, "sites", ".deploy", "backup.lock");
        // A scheduled backup under way holds the lock (as backup-cron-run.sh does for its whole run).
        const holder = spawn("flock", [lock, "sleep", "3"]);
        await new Promise((r) => setTimeout(r, 300));
        const busy = run(b, "maintenance-on.sh", { BACKUP_WAIT: "1" });
        assert.equal(busy.status, 1);
        assert.match(busy.stderr, /a scheduled backup \(backup-cron\) still runs after 1 s; the sites stay open/);
        assert.deepEqual(busy.calls, [], "no site closed");
        assert.ok(!fs.existsSync(path.join(b.dir, "sites", ".deploy", "window")), "window given back");
        const waits = run(b, "maintenance-on.sh", { BACKUP_WAIT: "30" });
        assert.equal(waits.status, 0, waits.stderr);
        assert.equal(
            holder.exitCode ?? (await new Promise((r) => holder.on("close", r))),
            0,
            "it waited for the backup",
        );
        assert.ok(waits.calls.includes("--site a.example.com set-maintenance-mode on"));
    });

    it("starts no scheduled backup while a window is open, and backs up once it closed", async () => {
        const b = bench();
        addSite(b, "a.example.com");
        fs.mkdirSync(path.join(b.dir, "sites", ".deploy"));
        const window = path.join(b.dir, "sites", ".deploy", "window");
        fs.writeFileSync(window, "1767225600 2026-01-01T00:00:00Z\n");
        // The run script finds backup.sh beside itself, as in the backup-cron container.
        const cron = path.join(b.dir, "cron");
        fs.mkdirSync(cron);
        fs.copyFileSync(scriptPath("backup-cron-run.sh"), path.join(cron, "run-backup.sh"));
        fs.copyFileSync(scriptPath("backup.sh"), path.join(cron, "backup.sh"));
        const runCron = (env: Record<string, string>) =>
            spawnSync("bash", [path.join(cron, "run-backup.sh")], {
                cwd: b.dir,
                encoding: "utf8",
                env: {
                    PATH: `${path.join(__dirname, "fakebench")}:${process.env.PATH ?? ""}`,
                    FAKE_BENCH_LOG: b.log,
                    ...env,
                },
            });
        const refused = runCron({ WINDOW_WAIT: "1", WINDOW_POLL: "1" });
        assert.equal(refused.status, 1);
        assert.match(
            refused.stderr,
            /a maintenance window is open since 2026-01-01T00:00:00Z \(sites\/.deploy\/window\); no backup after 1 s/,
        );
        assert.ok(!fs.existsSync(b.log), "no backup ran");
        setTimeout(() => fs.rmSync(window), 1500);
        const later = spawn("bash", [path.join(cron, "run-backup.sh")], {
            cwd: b.dir,
            env: {
                PATH: `${path.join(__dirname, "fakebench")}:${process.env.PATH ?? ""}`,
                FAKE_BENCH_LOG: b.log,
                WINDOW_WAIT: "30",
                WINDOW_POLL: "1",
                BACKUP_WITH_FILES: "0",
            },
        });
        const code = await new Promise((r) => later.on("close", r));
        assert.equal(code, 0);
        assert.deepEqual(fs.readFileSync(b.log, "utf8").trim().split("\n"), [
            `--site a.example.com backup --backup-path ${b.dir}/sites/.backups/a.example.com`,
        ]);
    });
});

describe("the database guard (db-guard.sh, run with the stand-in Docker CLI)", () => {
    /** Runs the guard against one running server (or none); returns its exit code and output. */
    function guard(engine: string, target: string, running?: { image: string; env?: string }, kind = "container") {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guard-"));
        const table = path.join(dir, "containers");
        fs.writeFileSync(
            table,
            running === undefined ? "" : `frappe-s-db - - running healthy ${running.image} ${running.env ?? "-"}\n`,
        );
        const r = spawnSync("sh", [scriptPath("db-guard.sh")], {
            encoding: "utf8",
            env: {
                PATH: `${path.join(__dirname, "fakebin")}:${process.env.PATH ?? ""}`,
                FAKE_DOCKER_CONTAINERS: table,
                DBGUARD_ENGINE: engine,
                DBGUARD_KIND: kind,
                DBGUARD_NAME: "frappe-s-db",
                DBGUARD_IMAGE: target,
            },
        });
        return { code: r.status, out: r.stdout + r.stderr };
    }
    const maria = (v: string) => `MARIADB_VERSION=1:${v}+maria~ubu2404`;

    it("lets a MariaDB upgrade (a newer major or the same one) go on, and says what changes", () => {
        const up = guard("mariadb", "mariadb:11.8", { image: "mariadb:11.4", env: maria("11.4.5") });
        assert.equal(up.code, 0, up.out);
        assert.match(
            up.out,
            /changes from mariadb:11\.4 \(mariadb 11\.4\) to mariadb:11\.8 \(mariadb 11\.8\): closing the sites and backing them up first/,
        );
        assert.equal(guard("mariadb", "mariadb:11.4", { image: "mariadb:10.11", env: maria("10.11.9") }).code, 0);
        assert.equal(guard("mariadb", "mariadb:11.8.3", { image: "mariadb:11.8", env: maria("11.8.2") }).code, 0);
    });

    it("refuses a MariaDB downgrade of the major version, by major then minor number", () => {
        for (const [target, from] of [
            ["mariadb:11.4", "11.8.2"],
            ["mariadb:10.11", "11.4.5"],
        ]) {
            const r = guard("mariadb", target, { image: "mariadb:x", env: maria(from) });
            assert.equal(r.code, 1, r.out);
            assert.match(r.out, /a downgrade of the major version is refused/);
            assert.match(r.out, /the sites stay open; nothing was changed/);
        }
    });

    it("refuses any change of the Postgres major version, and lets a minor one go on", () => {
        const major = guard("postgres", "postgres:16.4", { image: "postgres:15.17", env: "PG_MAJOR=15" });
        assert.equal(major.code, 1);
        assert.match(major.out, /Postgres opens only a data directory of its own major version/);
        assert.equal(guard("postgres", "postgres:15.18", { image: "postgres:15.17", env: "PG_MAJOR=15" }).code, 0);
    });

    it("has nothing to guard without a running server, or when it runs the image already (Swarm pins digests)", () => {
        assert.equal(guard("mariadb", "mariadb:11.8").code, 10);
        assert.equal(guard("mariadb", "mariadb:11.8", { image: "mariadb:11.8" }).code, 10);
        const pinned = guard("mariadb", "mariadb:11.8", { image: `mariadb:11.8@sha256:${"a".repeat(64)}` }, "service");
        assert.equal(pinned.code, 10, pinned.out);
    });

    it("refuses when it cannot tell a version: a tag without one, a server without one", () => {
        const target = guard("mariadb", "mariadb:lts", { image: "mariadb:11.8", env: maria("11.8.2") });
        assert.equal(target.code, 1);
        assert.match(target.out, /give frappe:db\.image a version tag/);
        const server = guard("mariadb", "mariadb:11.8", { image: "mariadb:lts" });
        assert.equal(server.code, 1);
        assert.match(server.out, /cannot tell which mariadb version frappe-s-db runs/);
        // The version the server's environment names wins over its tag.
        assert.equal(guard("mariadb", "mariadb:11.8", { image: "mariadb:lts", env: maria("11.4.5") }).code, 0);
    });
});
