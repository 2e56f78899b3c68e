import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DRILL_SCRIPT, drillAccount, drillSchedule } from "../components/bench/model/backupCron";
import { dockerName } from "../components/conventions/naming";
import { scriptPath } from "../components/bench/scriptFiles";
import { byName, envOf, jobOf, ProgramRun, REPO_ROOT, runProgram } from "./harness";
import { scenario, SECRETS, TWO_SITES } from "./scenarios";
import { pythonWith, requireTool } from "./tools";

/*
 * Restore drills in the program: frappe:backup.verify, the account job and backup-cron's second
 * schedule. What a drill does against a real server is tested in test/engine/drills.test.ts.
 */

const BASE = { tag: "v15.88.1", digest: `sha256:${"c".repeat(64)}`, sites: TWO_SITES.sites };

async function deploy(stack: string, config: Record<string, unknown>, secrets: Record<string, string> = SECRETS) {
    const run = await runProgram({ stack, config: { ...BASE, ...config }, secrets });
    assert.equal(run.error, undefined, run.error?.message);
    return run;
}

function hasDrills(run: ProgramRun): boolean {
    return run.resources.some((r) => r.name === "frappe-bench-drill-account");
}

function drillPasswordResources(run: ProgramRun) {
    return run.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword" && /drill/.test(r.name));
}

describe("restore drills: frappe:backup.verify", () => {
    it("is on by default for the stack named production only, on the default schedule", () => {
        const backup = { schedule: "0 */6 * * *", withFiles: true, keepLast: 28 };
        assert.equal(drillSchedule({ stack: "production", backup }), "30 3 * * *");
        assert.equal(drillSchedule({ stack: "staging", backup }), undefined);
        assert.equal(drillSchedule({ stack: "staging", backup: { ...backup, verify: true } }), "30 3 * * *");
        assert.equal(drillSchedule({ stack: "production", backup: { ...backup, verify: false } }), undefined);
        assert.equal(drillSchedule({ stack: "staging", backup: { ...backup, verify: "15 1 * * 0" } }), "15 1 * * 0");
    });

    it("takes true, false or a cron expression like backup.schedule, and names the key otherwise", async () => {
        const daily = await deploy("staging", { backup: { verify: "@daily" } });
        assert.equal(envOf(byName(daily, "frappe-bench-backup-cron")).VERIFY_SCHEDULE, "0 0 * * *");
        const problem = async (verify: unknown) =>
            String(
                (await runProgram({ stack: "staging", config: { ...BASE, backup: { verify } }, secrets: SECRETS }))
                    .error?.message,
            );
        // A string is read as a schedule, with backup.schedule's message; anything else gets the key's.
        assert.match(
            await problem("weekly"),
            /frappe:backup\.verify: got "weekly"; expected a five-field cron expression/,
        );
        assert.match(
            await problem(3),
            /frappe:backup\.verify: got 3; expected true, false or a five-field cron expression for the restore drills/,
        );
    });

    it("names one account per stack, as drill-account.sh accepts it", () => {
        assert.equal(drillAccount("production"), "drill_production");
        assert.equal(drillAccount("Prod.EU-1"), "drill_prod_eu_1");
        assert.match(drillAccount("a".repeat(60)), /^[a-z][a-z0-9_]{0,30}$/);
    });
});

describe("restore drills: what the program deploys", () => {
    it("production: the account job after the sites reopen, then backup-cron with the drill schedule, script and password", async () => {
        const run = await deploy("production", {});
        const account = jobOf(run, "drill-account");
        assert.equal(account.labels["frappe.role"], "drill-account");
        assert.equal(account.env.DB_TYPE, "mariadb");
        assert.equal(account.env.DB_HOST, "db");
        assert.equal(account.env.DB_PORT, "3306");
        assert.equal(account.env.DB_ROOT_USER, "root");
        assert.equal(account.env.DRILL_DB_USER, "drill_production");
        assert.deepEqual(Object.keys(account.secrets).sort(), [
            "/run/secrets/db-root-password",
            "/run/secrets/drill-db-password",
        ]);
        assert.ok(account.stdinSecret, "the passwords travel as Pulumi secrets");
        assert.ok(account.resource.opts.dependsOn.includes("frappe-bench-maintenance-off"));

        const cron = byName(run, "frappe-bench-backup-cron");
        assert.ok(
            cron.opts.dependsOn.includes("frappe-bench-drill-account"),
            "the account exists before the first drill",
        );
        const env = envOf(cron);
        assert.equal(env.VERIFY_SCHEDULE, "30 3 * * *");
        assert.equal(env.DRILL_DB_USER, "drill_production");
        const uploads = cron.inputs.uploads as { file: string; content: string }[];
        assert.equal(
            uploads.find((u) => u.file === "/home/frappe/backup-cron/drill.sh")?.content,
            fs.readFileSync(scriptPath("drill.sh"), "utf8"),
        );
        assert.ok(uploads.some((u) => u.file === "/run/secrets/drill-db-password"));
        // Generated (letters and digits: drill-account.sh writes it into SQL) and the same in both places.
        const [password] = drillPasswordResources(run);
        assert.deepEqual(password.inputs, { length: 32, special: false });
        assert.equal(
            account.secrets["/run/secrets/drill-db-password"],
            uploads.find((u) => u.file === "/run/secrets/drill-db-password")?.content,
        );
    });

    it("staging, or verify false: no account, no schedule, no password, and backup-cron as before", async () => {
        for (const run of [await deploy("staging", {}), await deploy("production", { backup: { verify: false } })]) {
            assert.ok(!hasDrills(run));
            assert.deepEqual(drillPasswordResources(run), []);
            const cron = byName(run, "frappe-bench-backup-cron");
            assert.equal(envOf(cron).VERIFY_SCHEDULE, undefined);
            assert.ok(!(cron.inputs.uploads as { file: string }[]).some((u) => /drill/.test(u.file)));
        }
    });

    it("reaches an external Postgres server as the sites do, and takes the operator's drillDbPassword", async () => {
        const run = await deploy(
            "production",
            { db: { type: "external", engine: "postgres", host: "pg.internal", port: 5433 } },
            { ...SECRETS, drillDbPassword: "OperatorChosenPassw0rd" },
        );
        const account = jobOf(run, "drill-account");
        assert.equal(account.env.DB_TYPE, "postgres");
        assert.equal(account.env.DB_HOST, "pg.internal");
        assert.equal(account.env.DB_PORT, "5433");
        assert.equal(account.secrets["/run/secrets/drill-db-password"], "OperatorChosenPassw0rd");
        assert.deepEqual(drillPasswordResources(run), []);
    });
});

describe("restore drills on Swarm", () => {
    it("renders the same model: the account job, and the drill password as a Swarm secret of backup-cron", async () => {
        const run = await runProgram({ ...scenario("swarm-postgres-https-three-sites"), stack: "production" });
        assert.equal(run.error, undefined, run.error?.message);
        assert.equal(jobOf(run, "drill-account").env.DB_TYPE, "postgres");
        const secret = run.resources.find(
            (r) =>
                r.type === "docker:index/secret:Secret" && JSON.stringify(r.inputs.labels).includes("drillDbPassword"),
        );
        assert.ok(secret, "a docker.Secret labelled drillDbPassword");
    });
});

describe("restore drills: backup-cron's scheduler runs them and reports a failed one", () => {
    function scheduler(verify: string, drillExit: number) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scheduler-"));
        const log = path.join(dir, "order");
        fs.writeFileSync(path.join(dir, "run-backup.sh"), `echo backup >> ${log}\n`);
        fs.writeFileSync(path.join(dir, "drill.sh"), `echo drill >> ${log}\nexit ${drillExit}\n`);
        const env = {
            PATH: process.env.PATH ?? "",
            BACKUP_SCHEDULE: "0 3 * * *",
            VERIFY_SCHEDULE: verify,
            BACKUP_STATUS_FILE: path.join(dir, "backup.status"),
            DRILL_STATUS_FILE: path.join(dir, "drill.status"),
        };
        return { dir, log, env };
    }

    it("runs the backup first and then the drill when both are due, each recorded in its own status file", function () {
        const python = pythonWith("croniter");
        requireTool(this, python !== undefined, "Python with croniter", "apt-get install -y python3-croniter");
        const s = scheduler("0 3 * * *", 3);
        const tick = (when: string) =>
            spawnSync(
                python ?? "python3",
                [scriptPath("backup-scheduler.py"), "--tick", path.join(s.dir, "run-backup.sh"), when],
                {
                    env: s.env,
                    encoding: "utf8",
                },
            );
        const r = tick("2026-11-26T03:00:00");
        assert.equal(r.status, 0, r.stderr);
        assert.equal(fs.readFileSync(s.log, "utf8"), "backup\ndrill\n");
        assert.match(r.stdout, /backup-cron: drill at 2026-11-26T03:00:00 exited 3/);
        assert.match(fs.readFileSync(s.env.BACKUP_STATUS_FILE, "utf8"), /^ok /);
        assert.match(fs.readFileSync(s.env.DRILL_STATUS_FILE, "utf8"), /^failed 3 /);
        // The healthcheck's test of the status files (appProcesses.ts): unhealthy while the drill says failed.
        const health = (file: string) => `{ [ ! -f ${file} ] || grep -q '^ok' ${file}; }`;
        const both = `${health(s.env.BACKUP_STATUS_FILE)} && ${health(s.env.DRILL_STATUS_FILE)}`;
        assert.notEqual(spawnSync("sh", ["-c", both]).status, 0);
        fs.writeFileSync(path.join(s.dir, "drill.sh"), "exit 0\n");
        assert.equal(tick("2026-11-27T03:00:00").status, 0);
        assert.equal(spawnSync("sh", ["-c", both]).status, 0, "healthy again after a good drill");
        // Off schedule, nothing runs.
        fs.rmSync(s.log);
        assert.equal(tick("2026-11-27T04:00:00").status, 0);
        assert.ok(!fs.existsSync(s.log));
    });
});

describe("restore drills: docs/backups.md", () => {
    it("shows the results with the script backup-cron has, in the container the program names, with the contract's keys", () => {
        const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "backups.md"), "utf8");
        const container = dockerName("production", "backup-cron");
        assert.ok(doc.includes(`docker exec ${container} bash ${DRILL_SCRIPT} status`));
        const example = /```json\n(\{\s*"finished"[^`]*"engine"[^`]*\})\n```/.exec(doc);
        assert.ok(example, "the drill status example");
        assert.deepEqual(Object.keys(JSON.parse(example[1]) as object), [
            "finished",
            "ok",
            "backup",
            "engine",
            "error",
        ]);
    });
});

describe("restore drills: drill.sh outside a database", () => {
    function benchWith(files: Record<string, string>): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-bench-"));
        for (const [file, content] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
            fs.writeFileSync(path.join(dir, file), content);
        }
        return dir;
    }
    const drill = (dir: string, args: string[] = []) =>
        spawnSync("bash", [scriptPath("drill.sh"), ...args], {
            cwd: dir,
            encoding: "utf8",
            env: { PATH: process.env.PATH ?? "", DRILL_DB_USER: "drill_test", SECRETS_DIR: path.join(dir, "secrets") },
        });
    const statusOf = (dir: string, site: string) =>
        JSON.parse(
            fs.readFileSync(path.join(dir, "sites", ".backups", ".status", `drill-${site}.json`), "utf8"),
        ) as Record<string, unknown>;

    it("skips while a maintenance window is open (the upgrade's lock file), and records nothing", () => {
        const dir = benchWith({
            "sites/a.example.com/site_config.json": '{"db_name":"_a"}',
            "sites/.deploy/window": "x 1",
        });
        const r = drill(dir);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /drill: a maintenance window is open/);
        assert.ok(!fs.existsSync(path.join(dir, "sites", ".backups", ".status")));
    });

    it("fails a site without any backup, records it with backup null, and status shows it", () => {
        const dir = benchWith({ "sites/a.example.com/site_config.json": '{"db_name":"_a"}' });
        const r = drill(dir);
        assert.notEqual(r.status, 0);
        assert.match(
            r.stderr,
            /drill: a\.example\.com FAILED \(backup none\): looking for the newest database backup: no database backup of a\.example\.com/,
        );
        const status = statusOf(dir, "a.example.com");
        assert.equal(status.ok, false);
        assert.equal(status.backup, null);
        assert.equal(status.engine, "mariadb");
        const shown = drill(dir, ["status"]);
        assert.notEqual(shown.status, 0);
        assert.match(shown.stdout, /^a\.example\.com +\S+Z +FAILED +mariadb +-$/m);
    });
});
