import { strict as assert } from "assert";
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readScript, SCRIPT_FILES, ScriptFile, SCRIPTS_DIR } from "../components/bench/scriptFiles";
import { isValidCron } from "../components/config/schema";
import { REPO_ROOT } from "./harness";
import { addSite, runJobScript, TempBench, tempBench } from "./jobScript";
import { hasShellcheck, pythonWith, requireTool } from "./tools";

/** Every file under `dir` whose name ends with `ext`, skipping node_modules. */
function filesUnder(dir: string, ext: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            return e.name === "node_modules" ? [] : filesUnder(p, ext);
        }
        return e.name.endsWith(ext) ? [p] : [];
    });
}

/** shellcheck at warning level (what .ci/run enforces), gcc-style one line per finding. */
function shellcheck(files: string[]): SpawnSyncReturns<string> {
    return spawnSync("shellcheck", ["--severity=warning", "--format=gcc", ...files], { encoding: "utf8" });
}

describe("shell and Python programs are checked files", () => {
    const shellFiles = filesUnder(path.join(REPO_ROOT, "components"), ".sh");

    it("lists every file of components/bench/scripts/ in the loader, and nothing else", () => {
        assert.deepEqual([...SCRIPT_FILES].sort(), fs.readdirSync(SCRIPTS_DIR).sort());
        assert.equal(path.relative(REPO_ROOT, SCRIPTS_DIR), "components/bench/scripts");
    });

    it("keeps shell and Python out of the TypeScript of components/", () => {
        for (const file of filesUnder(path.join(REPO_ROOT, "components"), ".ts")) {
            const text = fs.readFileSync(file, "utf8");
            // Markers of a program in a string: strict mode, a shebang, Python imports.
            assert.doesNotMatch(text, /set -euo pipefail|#!\/usr\/bin\/env|^import (os|sys|json)\b/m, file);
        }
    });

    it("passes shellcheck, every *.sh under components/", function () {
        requireTool(this, hasShellcheck(), "shellcheck", "apt-get install -y shellcheck");
        assert.ok(shellFiles.length >= 10, `found ${shellFiles.length}`);
        const r = shellcheck(shellFiles);
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    it("shellcheck fails on a warning (the check can fail)", function () {
        requireTool(this, hasShellcheck(), "shellcheck", "apt-get install -y shellcheck");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sc-"));
        const bad = path.join(dir, "bad.sh");
        fs.writeFileSync(bad, "#!/usr/bin/env bash\nfor f in $(ls *.txt); do rm $f; done\nx=1\n");
        const r = shellcheck([bad]);
        assert.notEqual(r.status, 0);
        assert.match(r.stdout, /warning: .*SC2045|warning: .*SC2034/);
    });

    it("parses with bash -n", () => {
        for (const file of shellFiles) {
            const r = spawnSync("bash", ["-n", file], { encoding: "utf8" });
            assert.equal(r.status, 0, `${file}: ${r.stderr}`);
        }
    });

    it("compiles every *.py with python3", function () {
        const python = pythonWith();
        requireTool(this, python !== undefined, "python3", "apt-get install -y python3");
        const files = filesUnder(path.join(REPO_ROOT, "components"), ".py");
        assert.ok(files.length >= 1);
        const code = "import ast,sys\nfor f in sys.argv[1:]: ast.parse(open(f).read(), f)";
        const r = spawnSync(python ?? "python3", ["-c", code, ...files], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
    });
});

const bench = tempBench;

/** Runs one of the job scripts as its container would, in `b.dir`, with the stand-in bench. */
function run(b: TempBench, file: ScriptFile, env: Record<string, string>, secrets?: Record<string, string>) {
    return runJobScript(b, file, env, secrets ? { secrets } : {});
}

function config(dir: string): Record<string, unknown> {
    return JSON.parse(fs.readFileSync(path.join(dir, "sites", "common_site_config.json"), "utf8")) as Record<
        string,
        unknown
    >;
}

const CONFIGURATOR_ENV = {
    DB_HOST: "db",
    DB_PORT: "3306",
    REDIS_CACHE: "c:6379",
    REDIS_QUEUE: "q:6379",
    SOCKETIO_PORT: "9000",
    WORKERS_JSON: '{"reports":{"timeout":3600}}',
    DB_TYPE: "mariadb",
    REDIS_AUTH: "0",
};

describe("the configurator (configurator.sh, run)", () => {
    it("writes apps.txt and every key of common_site_config.json", () => {
        const b = bench();
        const r = run(b, "configurator.sh", CONFIGURATOR_ENV);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(fs.readFileSync(path.join(b.dir, "sites", "apps.txt"), "utf8"), "erpnext\nfrappe\n");
        assert.deepEqual(config(b.dir), {
            db_host: "db",
            db_port: 3306,
            redis_cache: "redis://c:6379",
            redis_queue: "redis://q:6379",
            redis_socketio: "redis://q:6379",
            socketio_port: 9000,
            workers: { reports: { timeout: 3600 } },
        });
        assert.match(r.stdout, /configurator: apps erpnext,frappe; common_site_config.json written/);
    });

    it("puts the URL-encoded Redis password from its file into the redis:// URLs", () => {
        const b = bench();
        // As the job's prelude writes it: the exact bytes, no trailing newline.
        fs.writeFileSync(path.join(b.secrets, "redis-password"), "p@ss/w:rd");
        const r = run(b, "configurator.sh", { ...CONFIGURATOR_ENV, REDIS_AUTH: "1" });
        assert.equal(r.status, 0, r.stderr);
        const c = config(b.dir);
        assert.equal(c.redis_cache, "redis://:p%40ss%2Fw%3Ard@c:6379");
        assert.equal(c.redis_queue, "redis://:p%40ss%2Fw%3Ard@q:6379");
        assert.equal(c.redis_socketio, "redis://:p%40ss%2Fw%3Ard@q:6379");
        assert.ok(!r.calls.join("\n").includes("p@ss"), "never on a command line");
    });

    it("with Postgres stores no superuser password, and removes one an earlier version stored", () => {
        const b = bench();
        fs.writeFileSync(
            path.join(b.dir, "sites", "common_site_config.json"),
            JSON.stringify({ root_login: "postgres", root_password: "old-secret" }),
        );
        const r = run(b, "configurator.sh", { ...CONFIGURATOR_ENV, DB_TYPE: "postgres", DB_PORT: "5432" });
        assert.equal(r.status, 0, r.stderr);
        const c = config(b.dir);
        assert.equal(c.root_password, undefined);
        assert.equal(c.root_login, undefined);
        assert.equal(c.db_port, 5432);
    });

    it("fails when a key ends up empty", () => {
        const r = run(bench(), "configurator.sh", { ...CONFIGURATOR_ENV, DB_HOST: "" });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /configurator: db_host is empty in common_site_config.json/);
    });
});

describe("maintenance window (maintenance-on.sh, migrate.sh, maintenance-off.sh, run)", () => {
    it("closes each site, pauses its scheduler and waits for its jobs, with purge-jobs for one site as the hint", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        addSite(b.dir, "b.example.com");
        const ok = run(b, "maintenance-on.sh", {});
        assert.equal(ok.status, 0, ok.stderr);
        assert.deepEqual(ok.calls.slice(0, 4), [
            "--site a.example.com set-maintenance-mode on",
            "--site a.example.com scheduler pause",
            "--site b.example.com set-maintenance-mode on",
            "--site b.example.com scheduler pause",
        ]);
        const busy = run(b, "maintenance-on.sh", { FAKE_BENCH_BUSY: "1", DRAIN_ATTEMPTS: "2", DRAIN_INTERVAL: "0" });
        assert.notEqual(busy.status, 0);
        // `bench --site s purge-jobs` would purge every site's queues; the command takes --site itself.
        assert.match(busy.stderr, /still pending after 2 checks 0 s apart;.*bench purge-jobs --site a\.example\.com/);
        assert.doesNotMatch(busy.stderr, /--site \S+ purge-jobs/);
    });

    it("keeps the sites closed after the migration and reopens them in maintenance-off", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        assert.equal(run(b, "migrate.sh", {}).status, 0);
        const off = run(b, "maintenance-off.sh", {});
        assert.equal(off.status, 0, off.stderr);
        assert.deepEqual(off.calls, [
            "--site all migrate",
            "--site a.example.com set-maintenance-mode on",
            "--site a.example.com scheduler resume",
            "--site a.example.com set-maintenance-mode off",
        ]);
    });
});

describe("the loader", () => {
    it("reads each file as it is in the repository", () => {
        for (const f of SCRIPT_FILES) {
            assert.equal(readScript(f), fs.readFileSync(path.join(REPO_ROOT, "components/bench/scripts", f), "utf8"));
        }
    });
});

describe("cron: croner (stack config) and croniter (backup-cron) agree", () => {
    const CASES = [
        // What the config tests cover, and the edges of each field.
        "0 24 * * *",
        "99 99 99 99 99",
        "*/0 * * * *",
        "5-1 * * * *",
        "0 0 0 * *",
        "0 0 * 13 *",
        "0 0 * * 8",
        "* * * *",
        "0 */6 * * *",
        "15 2 * * 0",
        "0 3 1,15 * 1-5",
        "*/5 8-18 * 1-12/2 7",
        "0 0 * * 7",
        "5,35 8-18/2 * 1,7 *",
        "60 * * * *",
        "* * 32 * *",
        "1-60 * * * *",
        "0-59/15 * * * *",
        "0 0 * * 0-7",
        ",1 * * * *",
        "1,,2 * * * *",
        "1- * * * *",
        "0 0 * * 7-1",
        // Outside the numeric five-field language both read the same way: refused on our side.
        "0 0 * JAN MON",
        "0 0 L * *",
        "0 0 * * 1#2",
        "0 0 0 1 1 *",
    ];

    it("accepts and refuses the same expressions on both sides", function () {
        const python = pythonWith("croniter");
        requireTool(this, python !== undefined, "Python with croniter", "apt-get install -y python3-croniter");
        const code =
            "import json,sys\nfrom croniter import croniter\nprint(json.dumps([croniter.is_valid(e) for e in json.load(sys.stdin)]))";
        const r = spawnSync(python ?? "python3", ["-c", code], { input: JSON.stringify(CASES), encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        const croniter = JSON.parse(r.stdout) as boolean[];
        CASES.forEach((expr, i) => {
            if (isValidCron(expr)) {
                assert.ok(croniter[i], `croner accepts ${expr}, croniter does not`);
            } else if (/^[\d*,/-]+( [\d*,/-]+){4}$/.test(expr)) {
                assert.ok(!croniter[i], `croniter accepts ${expr}, croner does not`);
            }
        });
        assert.ok(isValidCron("0 */6 * * *") && !isValidCron("0 24 * * *"), "the check can fail");
    });

    it("has the scheduler match with croniter, and no cron parser of ours", () => {
        assert.match(readScript("backup-scheduler.py"), /^from croniter import croniter$/m);
        assert.match(readScript("backup-scheduler.py"), /croniter\.match\(expr, when\)/);
        const schema = fs.readFileSync(path.join(REPO_ROOT, "components/config/schema.ts"), "utf8");
        assert.match(schema, /^import \{ Cron \} from "croner";$/m);
        assert.doesNotMatch(schema, /CRON_RANGES|cronFieldOk/);
    });
});
