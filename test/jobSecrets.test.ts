import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { FAKE_BENCH_DIR, runJobScript, TempBench, tempBench } from "./jobScript";
import { requireTool } from "./tools";

/**
 * No password on any command line and none in logs/bench.log: the jobs that hand a password to Frappe
 * (sites.sh, restore.sh) run under `strace -f -e trace=execve`, which records the argv of every process the
 * job starts, the very argv `ps` shows (/proc/<pid>/cmdline); and with the stand-in bench, which writes its
 * command line to logs/bench.log as the real bench CLI does.
 */

const DB = "Db-Root-7f3a91";
const ADMIN = "Admin-Pw-c2e5d0";
const PASSWORDS = { "db-root-password": DB, "admin-password": ADMIN };
const SITE_ENV = {
    SITES: "a.example.com:erpnext",
    DEFAULT_SITE: "a.example.com",
    DB_TYPE: "mariadb",
    DB_ROOT_USER: "root",
};

const hasStrace = (): boolean => spawnSync("strace", ["-V"]).status === 0;

/** The strace command that records every execve of the run (argv in full) into `out`. */
function straced(out: string): string[] {
    return ["strace", "-f", "-qq", "-s", "1000000", "-e", "trace=execve", "-o", out];
}

/** Where each secret shows: the execve lines (argv) that contain it, and whether logs/bench.log does. */
function leaks(b: TempBench, trace: string, secrets: readonly string[]): { argv: string[]; benchLog: string[] } {
    const execs = fs
        .readFileSync(trace, "utf8")
        .split("\n")
        .filter((l) => l.includes("execve("));
    assert.ok(execs.length > 3, "strace recorded the job's processes");
    const log = fs.existsSync(b.benchLog) ? fs.readFileSync(b.benchLog, "utf8") : "";
    return {
        argv: execs.filter((l) => secrets.some((s) => l.includes(s))),
        benchLog: secrets.filter((s) => log.includes(s)),
    };
}

function addSite(b: TempBench, site: string): void {
    fs.mkdirSync(path.join(b.dir, "sites", site, "private", "backups"), { recursive: true });
    fs.writeFileSync(path.join(b.dir, "sites", site, "site_config.json"), '{"db_name":"x"}');
}

describe("stand-ins that log like the real bench", () => {
    it("the stand-in bench writes its whole command line to logs/bench.log, from anywhere in the bench", () => {
        const b = tempBench();
        const r = spawnSync("bench", ["--site", "a.example.com", "new-site", "--db-root-password", DB], {
            cwd: path.join(b.dir, "sites"),
            env: { PATH: `${FAKE_BENCH_DIR}:${process.env.PATH ?? ""}` },
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        const line = fs.readFileSync(b.benchLog, "utf8");
        assert.match(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO \/\S+\/bench --site a.example.com new-site/);
        assert.ok(line.includes(`--db-root-password ${DB}`), "a password on bench's command line lands in the log");
    });

    it("writes no log where the bench has no logs/ directory (bench's NullHandler)", () => {
        const b = tempBench();
        fs.rmSync(path.join(b.dir, "logs"), { recursive: true });
        const r = spawnSync("bench", ["version"], {
            cwd: b.dir,
            env: { PATH: `${FAKE_BENCH_DIR}:${process.env.PATH ?? ""}` },
        });
        assert.equal(r.status, 0);
        assert.equal(fs.existsSync(b.benchLog), false);
    });

    it("the stand-in Frappe CLI runs only from sites/ and only under its frappe group, as bench runs it", () => {
        const b = tempBench();
        const cli = (cwd: string, args: string[]) =>
            spawnSync(path.join(b.dir, "env", "bin", "python"), ["-m", "frappe.utils.bench_helper", ...args], {
                cwd,
                env: { FAKE_BENCH_LOG: b.log, PATH: process.env.PATH ?? "" },
                encoding: "utf8",
            });
        const good = cli(path.join(b.dir, "sites"), ["frappe", "--site", "a.example.com", "list-apps"]);
        assert.equal(good.status, 0, good.stderr);
        assert.equal(fs.readFileSync(b.log, "utf8"), "--site a.example.com list-apps\n");
        assert.match(cli(b.dir, ["frappe", "list-apps"]).stderr, /run from the bench's sites\/ directory/);
        assert.match(cli(path.join(b.dir, "sites"), ["list-apps"]).stderr, /No such command 'list-apps'/);
    });
});

describe("no password on any command line or in bench.log", () => {
    it("sites.sh hands both passwords to Frappe and to nothing else", function () {
        requireTool(this, hasStrace(), "strace", "apt-get install -y strace");
        const b = tempBench();
        // b exists already: the job asks bench for its apps.
        addSite(b, "b.example.com");
        const trace = path.join(b.dir, "trace");
        const env = {
            ...SITE_ENV,
            SITES: "a.example.com:erpnext b.example.com:erpnext",
            FAKE_BENCH_INSTALLED: "frappe erpnext",
            SITES_PARALLEL: "1",
        };
        const r = runJobScript(b, "sites.sh", env, { secrets: PASSWORDS, wrap: straced(trace) });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(
            r.calls[0].startsWith("new-site a.example.com ") &&
                r.calls[0].includes(`--db-root-password ${DB} --admin-password ${ADMIN}`),
            r.calls[0],
        );
        assert.deepEqual(leaks(b, trace, [DB, ADMIN]), { argv: [], benchLog: [] });
        assert.ok(fs.readFileSync(b.benchLog, "utf8").includes("list-apps"), "bench itself still ran and logged");
    });

    it("restore.sh hands the root password to Frappe and to nothing else", function () {
        requireTool(this, hasStrace(), "strace", "apt-get install -y strace");
        const b = tempBench();
        addSite(b, "a.example.com");
        const stamp = "20260101_120000";
        const dump = spawnSync("gzip", ["-c"], { input: "-- CREATE TABLE `tabDefaultValue`\n" }).stdout;
        const backups = path.join(b.dir, "sites", "a.example.com", "private", "backups");
        fs.writeFileSync(path.join(backups, `${stamp}-a_example_com-database.sql.gz`), dump);
        const trace = path.join(b.dir, "trace");
        const env = { SITE: "a.example.com", RESTORE_BACKUP: stamp, RESTORE_WITH_FILES: "0", DB_ROOT_USER: "root" };
        const r = runJobScript(b, "restore.sh", env, { secrets: { "db-root-password": DB }, wrap: straced(trace) });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(
            r.calls.some((c) => c.includes(" restore ") && c.endsWith(`--db-root-password ${DB}`)),
            r.calls.join("\n"),
        );
        assert.deepEqual(leaks(b, trace, [DB]), { argv: [], benchLog: [] });
    });

    it("catches a password on a command line: the way the jobs passed it before", function () {
        requireTool(this, hasStrace(), "strace", "apt-get install -y strace");
        const b = tempBench();
        fs.writeFileSync(path.join(b.secrets, "admin-password"), ADMIN);
        const trace = path.join(b.dir, "trace");
        const old = 'bench new-site a.example.com --admin-password "$(cat "$SECRETS_DIR/admin-password")"';
        const r = spawnSync(straced(trace)[0], [...straced(trace).slice(1), "bash", "-c", old], {
            cwd: b.dir,
            env: { PATH: `${FAKE_BENCH_DIR}:${process.env.PATH ?? ""}`, SECRETS_DIR: b.secrets },
        });
        assert.equal(r.status, 0);
        const found = leaks(b, trace, [ADMIN]);
        assert.ok(
            found.argv.some((l) => /execve\("[^"]*\/bench", \["bench", "new-site", .* = 0$/.test(l)),
            found.argv.join("\n"),
        );
        assert.deepEqual(found.benchLog, [ADMIN]);
    });
});

describe("passwords that earlier deploys left in logs/bench.log", () => {
    const EARLIER = [
        "2025-01-01 10:00:00,000 INFO /usr/local/bin/bench new-site a.example.com --mariadb-user-host-login-scope=% " +
            "--db-root-username root --db-root-password OldRoot1 --admin-password OldAdmin1 --install-app erpnext",
        "2025-01-01 10:00:01,000 INFO /usr/local/bin/bench --site a.example.com restore /b.sql.gz --db-root-password=OldRoot2",
        `2025-01-01 10:00:02,000 INFO /usr/local/bin/bench --site a.example.com execute x --args ${DB}`,
        "2025-01-01 10:00:03,000 INFO /usr/local/bin/bench worker --queue short,default",
        "",
    ].join("\n");
    const SCRUBBED = [
        "2025-01-01 10:00:00,000 INFO /usr/local/bin/bench new-site a.example.com --mariadb-user-host-login-scope=% " +
            "--db-root-username root --db-root-password ******** --admin-password ******** --install-app erpnext",
        "2025-01-01 10:00:01,000 INFO /usr/local/bin/bench --site a.example.com restore /b.sql.gz --db-root-password=********",
        "2025-01-01 10:00:02,000 INFO /usr/local/bin/bench --site a.example.com execute x --args ********",
        "2025-01-01 10:00:03,000 INFO /usr/local/bin/bench worker --queue short,default",
    ];

    it("sites.sh removes them in place, keeps every other line, and does nothing the second time", () => {
        const b = tempBench();
        addSite(b, "a.example.com");
        fs.writeFileSync(b.benchLog, EARLIER);
        const inode = fs.statSync(b.benchLog).ino;
        const env = { ...SITE_ENV, FAKE_BENCH_INSTALLED: "frappe erpnext" };
        const first = runJobScript(b, "sites.sh", env, { secrets: PASSWORDS });
        assert.equal(first.status, 0, first.stderr);
        assert.match(first.stdout, /removed passwords that earlier deploys left in logs\/bench.log/);
        const lines = fs.readFileSync(b.benchLog, "utf8").split("\n");
        assert.deepEqual(lines.slice(0, 4), SCRUBBED);
        assert.equal(fs.statSync(b.benchLog).ino, inode, "rewritten in place: open handles keep appending to it");
        const again = runJobScript(b, "sites.sh", env, { secrets: PASSWORDS });
        assert.doesNotMatch(again.stdout, /removed passwords/);
        assert.deepEqual(fs.readFileSync(b.benchLog, "utf8").split("\n").slice(0, 4), SCRUBBED);
    });
});
