import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SECRET_PRELUDE } from "../components/jobs/jobRun";
import { backupScript, JobScript, sitesScript } from "../components/bench/model/jobScripts";
import { paramEnv } from "../components/jobs/params";
import { readScript, ScriptFile, scriptPath } from "../components/bench/scriptFiles";
import { closure, simulateDeploy } from "./deploySim";
import { scenario, SECRETS, TWO_SITES } from "./scenarios";
import { pythonWith, requireTool } from "./tools";
import { byName, CapturedResource, containers, envOf, jobOf, jobs, labelsOf, ProgramRun, runProgram } from "./harness";

function job(run: ProgramRun, key: string): CapturedResource {
    return byName(run, `frappe-bench-${key}`);
}

/** The job's own script (a file run-job.sh reads when the job runs), without the secret prelude. */
function script(r: CapturedResource): string {
    const env = r.inputs.environment as Record<string, string>;
    return readScript(env.FRAPPE_JOB_SCRIPT as ScriptFile);
}

/** The parameters the job's container gets. */
function params(run: ProgramRun, key: string): Record<string, string> {
    return jobOf(run, key).env;
}

/** Pulumi names of what reached the (mock) provider. */
function registeredKeys(run: ProgramRun): Set<string> {
    return new Set(
        run.resources.filter((r) => r.custom && r.registered).map((r) => r.name.replace(/^frappe-bench-/, "")),
    );
}

/** Containers whose inputs differ between two runs (i.e. would be replaced: every input is ForceNew or state-only). */
function changed(a: ProgramRun, b: ProgramRun): string[] {
    const before = new Map(a.resources.filter((r) => r.custom).map((r) => [r.name, JSON.stringify(r.inputs)]));
    return b.resources
        .filter((r) => r.custom && before.has(r.name) && before.get(r.name) !== JSON.stringify(r.inputs))
        .map((r) => r.name.replace(/^frappe-bench-/, ""))
        .sort();
}

function names(run: ProgramRun): string[] {
    return run.resources.map((r) => `${r.type}::${r.name}`).sort();
}

describe("sites and safe upgrades", () => {
    let first: ProgramRun;
    before(async () => {
        first = await runProgram({ stack: "staging", config: TWO_SITES, secrets: SECRETS });
        assert.equal(first.error, undefined, first.error?.message);
        assert.deepEqual(first.rejections, []);
    });

    describe("sites from config", () => {
        it("creates every site with its own apps in one job, guarded so an existing site is never re-created", () => {
            // The script is sites.sh (windowScripts.test.ts runs it); the sites and their apps are parameters.
            const sites = script(job(first, "sites"));
            assert.equal(
                (jobOf(first, "sites").resource.inputs.environment as Record<string, string>).FRAPPE_JOB_SCRIPT,
                "sites.sh",
            );
            const p = params(first, "sites");
            assert.deepEqual(
                { SITES: p.SITES, DEFAULT_SITE: p.DEFAULT_SITE, SITES_PARALLEL: p.SITES_PARALLEL, DB_TYPE: p.DB_TYPE },
                {
                    SITES: "erp.example.com:erpnext,hrms crm.example.com:crm",
                    DEFAULT_SITE: "erp.example.com",
                    SITES_PARALLEL: "2",
                    DB_TYPE: "mariadb",
                },
            );
            assert.match(sites, /if \[ ! -f "sites\/\$site\/site_config.json" \]; then\n\s*create_site/);
            // The passwords reach Frappe from their files inside its own process (frappe_cli, jobSecrets.test.ts).
            assert.match(
                sites,
                /frappe_cli new-site "\$site" "\$\{flags\[@\]\}" \\\n\s*--db-root-password "@file:\$secrets\/db-root-password" \\\n\s*--admin-password "@file:\$secrets\/admin-password" "\$\{install\[@\]\}"/,
            );
            assert.doesNotMatch(sites, /drop-site|--force/);
            assert.equal(jobOf(first, "sites").labels["frappe.role"], "create-site");
        });

        it("hands the passwords over as secret files, and runs the image the backend runs", () => {
            const site = jobOf(first, "sites");
            assert.deepEqual(site.secrets, {
                "/run/secrets/db-root-password": SECRETS.dbPassword,
                "/run/secrets/admin-password": SECRETS.adminPassword,
            });
            assert.equal(site.stdinSecret, true);
            assert.deepEqual(site.tmpfs, ["/run/secrets:uid=1000,gid=1000,mode=0700"]);
            // No image among its inputs: run-job.sh fills in what the backend container runs.
            assert.equal(site.image, "{image}");
            assert.equal(site.env.FRAPPE_IMAGE, "{image}");
            const env = site.resource.inputs.environment as Record<string, string>;
            assert.equal(env.FRAPPE_JOB_IMAGE_FROM, "container frappe-staging-backend");
            assert.equal(env.FRAPPE_JOB_HELPERS, "backup.sh");
            assert.ok(site.script.startsWith(SECRET_PRELUDE), "the container reads them from stdin into the tmpfs");
        });

        it("plans no site work when the same config is deployed again", async () => {
            const again = await runProgram({ stack: "staging", config: TWO_SITES, secrets: SECRETS });
            assert.deepEqual(names(again), names(first));
            assert.deepEqual(changed(first, again), []);
        });

        it("changes only the sites job when an app is added to a site's list", async () => {
            const more = await runProgram({
                stack: "staging",
                config: {
                    ...TWO_SITES,
                    sites: [TWO_SITES.sites[0], { name: "crm.example.com", apps: ["crm", "helpdesk"] }],
                },
                secrets: SECRETS,
            });
            assert.deepEqual(changed(first, more), ["sites"]);
            assert.equal(params(more, "sites").SITES, "erp.example.com:erpnext,hrms crm.example.com:crm,helpdesk");
        });

        it("adds a new site without new resources and without touching the window", async () => {
            const three = await runProgram({
                stack: "staging",
                config: { ...TWO_SITES, sites: [...TWO_SITES.sites, { name: "shop.example.com", apps: ["webshop"] }] },
                secrets: SECRETS,
            });
            // The frontend's Traefik rule is HostRegexp, and the backend's healthcheck names no site.
            assert.deepEqual(names(three), names(first));
            assert.deepEqual(changed(first, three), ["sites"]);
            assert.deepEqual(job(three, "sites").opts.dependsOn, ["frappe-bench-maintenance-off"]);
        });
    });

    describe("upgrades", () => {
        it("orders maintenance on → backup → migrate → caches → app containers → maintenance off → sites", () => {
            const order = ["configurator", "maintenance-on", "pre-upgrade-backup", "migrate", "clear-cache"];
            for (let i = 1; i < order.length; i++) {
                assert.ok(closure(first, `frappe-bench-${order[i]}`).has(`frappe-bench-${order[i - 1]}`), order[i]);
            }
            for (const key of ["backend", "websocket", "queue-short-1", "queue-long-1", "scheduler", "frontend"]) {
                const waits = closure(first, `frappe-bench-${key}`);
                for (const step of order) {
                    assert.ok(waits.has(`frappe-bench-${step}`), `${key} waits for ${step}`);
                }
                assert.ok(closure(first, "frappe-bench-maintenance-off").has(`frappe-bench-${key}`));
            }
            // Site work comes once the sites are open again and every app process is healthy.
            assert.ok(closure(first, "frappe-bench-sites").has("frappe-bench-maintenance-off"));
        });

        it("backs up every site once they are closed, and proves a fresh dump exists before anything migrates", () => {
            const s = script(job(first, "pre-upgrade-backup"));
            // Always with files, never pruning, pinned: no backup setting can start the maintenance window by
            // itself, and no later pruning deletes it (test/backups.test.ts runs backup.sh's pinning).
            const env = params(first, "pre-upgrade-backup");
            assert.equal(env.BACKUP_WITH_FILES, "1");
            assert.equal(env.BACKUP_LABEL, "pre-upgrade-backup");
            assert.equal(env.BACKUP_KEEP_LAST, undefined, "never pruning");
            assert.equal(env.BACKUP_PROTECT, undefined);
            assert.equal(env.BACKUP_PIN, "1");
            assert.equal(s, readScript("backup.sh"));
            assert.match(s, /\nset -euo pipefail\n/);
            assert.match(s, /\n {2}args=\(--site "\$s" backup --backup-path "\$dir"\)\n/);
            assert.match(s, /-newer "\$marker"[\s\S]*refusing to continue" >&2\n[\s\S]*\n {2}exit 1\n/);
            assert.equal(jobOf(first, "pre-upgrade-backup").labels["frappe.role"], "backup");
        });

        it("keeps the sites in maintenance through the migration and reopens them last", () => {
            // set-maintenance-mode and scheduler act on one site only, so they loop over every site.
            const each = (...cmds: string[]) => `for s in $sites; do\n${cmds.map((c) => `  ${c}\n`).join("")}done\n`;
            assert.match(
                script(job(first, "maintenance-on")),
                /\nfor s in \$sites; do\n {2}closed="\$closed \$s"\n {2}bench --site "\$s" set-maintenance-mode on \|\| fail [^\n]*\n {2}bench --site "\$s" scheduler pause \|\| fail [^\n]*\ndone\n/,
            );
            assert.ok(
                script(job(first, "migrate")).includes(`bench --site all migrate\n${"# Frappe may lift"}`) &&
                    script(job(first, "migrate")).includes(each('bench --site "$s" set-maintenance-mode on')),
            );
            assert.ok(
                script(job(first, "maintenance-off")).includes(
                    each('bench --site "$s" scheduler resume', 'bench --site "$s" set-maintenance-mode off'),
                ),
            );
            // The old workers finish what they are doing before the schema changes (bounded wait; the
            // 60 checks 10 s apart are the script's defaults, scripts.test.ts runs it).
            assert.match(
                script(job(first, "maintenance-on")),
                /attempts=\$\{DRAIN_ATTEMPTS:-60\}\ninterval=\$\{DRAIN_INTERVAL:-10\}\n[\s\S]*until bench --site "\$s" ready-for-migration; do\n[\s\S]*if \[ "\$n" -ge "\$attempts" \]; then\n\s*fail [^\n]*\n[^\n]*\n\s*fi\n\s*sleep "\$interval"\n/,
            );
            for (const key of ["maintenance-on", "migrate", "maintenance-off"]) {
                assert.doesNotMatch(script(job(first, key)), /--site all (set-maintenance-mode|scheduler)/);
            }
            assert.match(
                script(job(first, "clear-cache")),
                /bench --site all clear-cache\nbench --site all clear-website-cache\n/,
            );
        });

        it("stops everything after a failed backup, naming the step", async () => {
            const run = await runProgram({
                stack: "staging",
                config: TWO_SITES,
                secrets: SECRETS,
                exitCodes: { "frappe-staging-pre-upgrade-backup": 2 },
            });
            assert.ok(run.error, "the deploy fails");
            assert.match(
                run.error.message,
                /Job pre-upgrade-backup \(back up every site before migrating\) failed with exit code 2; nothing after it was deployed/,
            );
            assert.match(run.error.message, /docker logs frappe-staging-pre-upgrade-backup/);
            assert.match(run.error.message, /run pulumi up again \(this step runs again\)/);
            const registered = registeredKeys(run);
            for (const key of ["db", "redis-cache", "redis-queue", "configurator", "maintenance-on"]) {
                assert.ok(registered.has(key), `${key} ran`);
            }
            // A failed step is not recorded as done, so the next pulumi up runs it again.
            assert.ok(!registered.has("pre-upgrade-backup"));
            for (const key of ["migrate", "sites", "backend", "scheduler", "frontend", "maintenance-off"]) {
                assert.ok(!registered.has(key), `${key} must not run after a failed backup`);
            }
        });

        it("stops after a failed migration and leaves the sites in maintenance mode", async () => {
            const run = await runProgram({
                stack: "staging",
                config: TWO_SITES,
                secrets: SECRETS,
                exitCodes: { "frappe-staging-migrate": 1 },
            });
            assert.match(
                run.error?.message ?? "",
                /Job migrate \(migrate every site with the new image\) failed with exit code 1/,
            );
            const registered = registeredKeys(run);
            assert.ok(registered.has("maintenance-on"));
            for (const key of [
                "sites",
                "clear-cache",
                "backend",
                "websocket",
                "frontend",
                "proxy",
                "maintenance-off",
            ]) {
                assert.ok(!registered.has(key), `${key} must not run after a failed migration`);
            }
        });

        it("re-runs the window's jobs on an image change, no site work, and no job on an unrelated change", async () => {
            const newTag = await runProgram({
                stack: "staging",
                config: { ...TWO_SITES, tag: "v15.89.0" },
                secrets: SECRETS,
            });
            assert.deepEqual(names(newTag), names(first), "nothing created or deleted");
            const frappeContainers = containers(first)
                .filter((r) => !["db", "redis-cache", "redis-queue", "proxy"].includes(labelsOf(r)["frappe.role"]))
                .map((r) => r.name.replace(/^frappe-bench-/, ""));
            // The jobs that run the image the backend runs hold no image: the database guard, the sites job.
            const running = ["db-upgrade", "sites"];
            const imageJobs = jobs(first)
                .map((r) => r.name.replace(/^frappe-bench-/, ""))
                .filter((k) => !running.includes(k));
            assert.deepEqual(changed(first, newTag), [...frappeContainers, ...imageJobs].sort());
            for (const key of imageJobs) {
                assert.equal(jobOf(newTag, key).image, "frappe/erpnext:v15.89.0");
            }
            for (const key of running) {
                assert.equal(jobOf(newTag, key).image, "{image}");
            }
            for (const r of containers(newTag).filter((x) =>
                frappeContainers.includes(x.name.replace(/^frappe-bench-/, "")),
            )) {
                assert.equal(r.inputs.image, "frappe/erpnext:v15.89.0");
            }

            const tuned = await runProgram({
                stack: "staging",
                config: { ...TWO_SITES, gunicorn: { workers: 8 } },
                secrets: SECRETS,
            });
            assert.deepEqual(changed(first, tuned), ["backend"]);
        });
    });

    describe("secrets", () => {
        it("never shows a password outside a Pulumi secret, in any input or output", async () => {
            const runs = [
                first,
                await runProgram({
                    stack: "production",
                    config: {
                        tag: "v15.88.1",
                        digest: `sha256:${"c".repeat(64)}`,
                        db: { type: "postgres" },
                        sites: TWO_SITES.sites,
                        backup: { offsite: { repository: "s3:https://s3.example.com/bucket/erp" } },
                        restore: { site: "erp.example.com", backup: "20260101_120000" },
                    },
                    secrets: {
                        ...SECRETS,
                        resticPassword: "Restic-Secret-33",
                        s3AccessKeyId: "AKIA-SECRET-1",
                        s3SecretAccessKey: "S3-Secret-2",
                    },
                }),
            ];
            const values = [...Object.values(SECRETS), "Restic-Secret-33", "AKIA-SECRET-1", "S3-Secret-2"];
            for (const run of runs) {
                assert.equal(run.error, undefined, run.error?.message);
                for (const r of run.resources) {
                    const visible = JSON.stringify(r.inputs, (k, v: unknown) =>
                        r.secretPaths.includes(k) ? "[secret]" : v,
                    );
                    for (const v of values) {
                        assert.ok(!visible.includes(v), `${r.name} shows a password outside a secret`);
                    }
                }
                // No stack output holds a password, not even as a secret: pulumi/actions v7.0.0
                // (src/main.ts) copies every output, secret or not, into the step's outputs.
                for (const [k, o] of Object.entries(run.outputs)) {
                    for (const v of values) {
                        assert.ok(!JSON.stringify(o.value ?? null).includes(v), `output ${k} holds a password`);
                    }
                }
            }
        });
    });

    describe("backups", () => {
        it("runs scheduled backups in the bench image without the Docker socket, offsite with restic", async () => {
            const run = await runProgram(scenario("production-backup-schedule"));
            assert.equal(run.error, undefined, run.error?.message);
            const cron = byName(run, "frappe-bench-backup-cron");
            assert.equal(cron.inputs.image, `frappe/erpnext:v15.88.1@sha256:${"c".repeat(64)}`);
            // The bench's virtualenv Python: it has croniter; the image's system python3 has not.
            assert.deepEqual(cron.inputs.entrypoints, [
                "/home/frappe/frappe-bench/env/bin/python",
                "/home/frappe/backup-cron/scheduler.py",
                "/home/frappe/backup-cron/run-backup.sh",
            ]);
            // The run's settings are env; the run script's text is the file as it is.
            assert.deepEqual(envOf(cron), {
                BACKUP_KEEP_LAST: "7",
                BACKUP_LABEL: "scheduled-backup",
                BACKUP_SCHEDULE: "30 2 * * *",
                BACKUP_STATUS_FILE: "/tmp/backup-cron.status",
                BACKUP_WITH_FILES: "0",
                FRAPPE_STACK: "production",
                RESTIC_KEEP_LAST: "90",
                RESTIC_REPOSITORY: "s3:https://s3.example.com/bucket/erp",
                // Restore drills: on by default for production (test/drillWiring.test.ts).
                VERIFY_SCHEDULE: "30 3 * * *",
                DRILL_STATUS_FILE: "/tmp/backup-cron.drill.status",
                DRILL_DB_USER: "drill_production",
            });
            const uploads = cron.inputs.uploads as { file: string; content: string }[];
            assert.deepEqual(
                uploads.map((u) => u.file),
                [
                    "/home/frappe/backup-cron/scheduler.py",
                    "/home/frappe/backup-cron/run-backup.sh",
                    "/home/frappe/backup-cron/backup.sh",
                    "/home/frappe/backup-cron/drill.sh",
                    "/run/secrets/restic-password",
                    "/run/secrets/s3-access-key-id",
                    "/run/secrets/s3-secret-access-key",
                    "/run/secrets/drill-db-password",
                ],
            );
            // The files as they are in the repository (scripts.test.ts runs them).
            assert.equal(uploads[0].content, readScript("backup-scheduler.py"));
            assert.equal(uploads[1].content, readScript("backup-cron-run.sh"));
            assert.equal(uploads[2].content, readScript("backup.sh"));
            const run_ = uploads[1].content;
            assert.match(run_, /\nbash "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/backup.sh"\n/);
            assert.match(run_, /export RESTIC_PASSWORD_FILE="\$secrets\/restic-password"/);
            assert.match(
                run_,
                /restic forget --tag frappe --tag "\$FRAPPE_STACK" --group-by paths,tags --keep-last "\$RESTIC_KEEP_LAST" --prune/,
            );
            assert.ok(
                !((cron.inputs.volumes as { hostPath?: string }[]) ?? []).some((v) => v.hostPath),
                "no host paths",
            );
            assert.equal(cron.inputs.destroyGraceSeconds, 600);
            // A failed scheduled backup (or drill) shows: the container turns unhealthy until a run of its kind succeeds.
            assert.deepEqual((cron.inputs.healthcheck as { tests: string[] }).tests, [
                "CMD-SHELL",
                "tr '\\0' ' ' < /proc/1/cmdline | grep -q 'scheduler.py' && { [ ! -f /tmp/backup-cron.status ] || grep -q '^ok' /tmp/backup-cron.status; }" +
                    " && { [ ! -f /tmp/backup-cron.drill.status ] || grep -q '^ok' /tmp/backup-cron.drill.status; }",
            ]);
            assert.match(uploads[0].content, /status.write\("ok %s\\n" % stamp if code == 0 else "failed/);
        });

        it("matches cron expressions the way cron does (the scheduler's own code, run with python3)", function () {
            // croniter, as Frappe's virtualenv has it (Debian's python3-croniter here; see scripts.test.ts).
            const python = pythonWith("croniter");
            requireTool(this, python !== undefined, "Python with croniter", "apt-get install -y python3-croniter");
            const file = scriptPath("backup-scheduler.py");
            const cases: [string, string, boolean][] = [
                ["0 */6 * * *", "2026-11-26T06:00:00", true],
                ["0 */6 * * *", "2026-11-26T07:00:00", false],
                ["0 */6 * * *", "2026-11-26T06:01:00", false],
                ["15 */4 * * *", "2026-11-26T20:15:00", true],
                ["30 2 * * 0", "2026-11-29T02:30:00", true], // a Sunday
                ["30 2 * * 7", "2026-11-29T02:30:00", true],
                ["30 2 * * 1-5", "2026-11-29T02:30:00", false],
                ["0 3 1 * 1", "2026-12-01T03:00:00", true], // day-of-month OR day-of-week
                ["0 3 1 * 1", "2026-11-30T03:00:00", true], // a Monday
                ["0 3 1 * 1", "2026-11-26T03:00:00", false],
                ["5,35 8-18/2 * 1,7 *", "2026-07-01T10:35:00", true],
                ["5,35 8-18/2 * 1,7 *", "2026-07-01T11:35:00", false],
            ];
            for (const [expr, at, expected] of cases) {
                const r = spawnSync(python ?? "python3", [file, "--check", `${expr}@${at}`], { encoding: "utf8" });
                assert.equal(r.status, 0, r.stderr);
                assert.equal(r.stdout.trim(), expected ? "match" : "no-match", `${expr} at ${at}`);
            }
        });

        it("restores a named backup into a site after a safety backup, as its own job", async () => {
            const run = await runProgram(scenario("restore-staging"));
            assert.equal(run.error, undefined, run.error?.message);
            const restore = job(run, "restore");
            const s = script(restore);
            assert.equal(s, readScript("restore.sh"));
            assert.equal(params(run, "restore").SITE, "crm.example.com");
            assert.equal(params(run, "restore").RESTORE_BACKUP, "20261120_040000");
            assert.equal(params(run, "restore").RESTORE_WITH_FILES, "1");
            assert.match(
                s,
                /\nset -euo pipefail\n[\s\S]*\nsite=\$\{SITE:\?[^}]*\}\nstamp=\$\{RESTORE_BACKUP:\?[^}]*\}\n/,
            );
            // Once only: a marker per restored backup, checked first.
            assert.match(s, /\nmarker="sites\/\$site\/private\/.restored-\$stamp"\n/);
            assert.match(s, /\nif \[ -f "\$marker" \]; then\n[^\n]*\n\s*exit 0\nfi\n/);
            assert.ok(s.indexOf('if [ -f "$marker" ]') < s.indexOf("\nbench "), "checked before any bench command");
            assert.match(s, /\ndate -u \+%Y-%m-%dT%H:%M:%SZ > "\$marker"\n/);
            assert.match(
                s,
                /\nbench --site "\$site" set-maintenance-mode on\n(#[^\n]*\n)*frappe_cli --site "\$site" restore "\$db" "\$\{extra\[@\]\}"/,
            );
            // The migrate job after it does the migration; maintenance-off reopens the site.
            assert.doesNotMatch(s, /\nbench [^\n]*migrate|set-maintenance-mode off/);
            // Before the migration: the image being deployed migrates the restored data.
            // After the safety backup, which the closed sites make complete.
            assert.deepEqual(restore.opts.dependsOn, ["frappe-bench-pre-upgrade-backup"]);
            assert.deepEqual(job(run, "migrate").opts.dependsOn, ["frappe-bench-restore"]);
            // Setting a restore starts the whole sequence, so it happens inside a maintenance window.
            assert.deepEqual(jobOf(run, "maintenance-on").resource.inputs.triggers, [
                "restore crm.example.com 20261120_040000",
            ]);
            const before = simulateDeploy(
                new Map(),
                await runProgram({ stack: "staging", config: TWO_SITES, secrets: SECRETS }),
            );
            // The sites job checks the restored site's apps again (restore.sh drops its record of them).
            assert.deepEqual(simulateDeploy(before.record, run).ran, [
                "maintenance-on",
                "pre-upgrade-backup",
                "restore",
                "migrate",
                "clear-cache",
                "maintenance-off",
                "sites",
            ]);
            // Scheduled pruning keeps the backup named for the restore.
            // (scripts.test.ts runs backup.sh's pruning with BACKUP_PROTECT.)
            assert.equal(envOf(byName(run, "frappe-bench-backup-cron")).BACKUP_PROTECT, "20261120_040000");
            assert.match(s, /\nif ! \(set \+o pipefail; dump \| grep -q "tabDefaultValue"\); then\n/);
            assert.match(s, / --force --db-root-username "\$DB_ROOT_USER"/);
        });
    });
});

describe("removing sites or apps from config", () => {
    it("deletes nothing, and warns with the manual backed-up commands", async () => {
        const run = await runProgram({
            stack: "staging",
            config: { tag: "v15.88.1", sites: [{ name: "erp.example.com", apps: ["erpnext"] }] },
            secrets: SECRETS,
            previousOutputs: { siteApps: { "erp.example.com": ["erpnext", "hrms"], "old.example.com": ["erpnext"] } },
        });
        assert.equal(run.error, undefined, run.error?.message);
        assert.equal(run.warnings.length, 2);
        assert.match(run.warnings[0], /^Site old\.example\.com is no longer in frappe:sites\. Nothing was deleted/);
        // Archived onto the sites volume (contracts.md), never into the container's own filesystem.
        assert.match(
            run.warnings[0],
            / To really drop it: docker exec -it frappe-staging-backend bench drop-site old\.example\.com --archived-sites-path \/home\/frappe\/frappe-bench\/sites\/\.archived \(/,
        );
        assert.match(
            run.warnings[0],
            /to \/home\/frappe\/frappe-bench\/sites\/\.archived\/old\.example\.com on the sites volume/,
        );
        assert.doesNotMatch(run.warnings[0], /--db-root-password/, "typed at the prompt, never on a command line");
        assert.match(run.warnings[1], /^App hrms is no longer listed for site erp\.example\.com\. It stays installed/);
        assert.match(run.warnings[1], /uninstall-app hrms --yes$/);
        const ref = run.resources.find((r) => r.type === "pulumi:pulumi:StackReference");
        assert.equal(ref?.inputs.name, "organization/frappe/staging");
        assert.deepEqual(run.outputs.siteApps.value, { "erp.example.com": ["erpnext"] });
    });

    it("says nothing on a first deploy or when nothing was removed", async () => {
        const fresh = await runProgram({ stack: "staging", config: TWO_SITES, secrets: SECRETS });
        assert.deepEqual(fresh.warnings, []);
        const same = await runProgram({
            stack: "staging",
            config: TWO_SITES,
            secrets: SECRETS,
            previousOutputs: { siteApps: { "erp.example.com": ["erpnext"], "crm.example.com": ["crm"] } },
        });
        assert.deepEqual(same.warnings, []);
    });
});

describe("what each deploy runs (command provider semantics)", function () {
    // Several whole-program runs per test; a loaded CI machine needs more than mocha's 20 s.
    this.timeout(120_000);
    it("wires every job's triggers to the run tokens of all jobs before it", async () => {
        const run = await runProgram({ stack: "staging", config: TWO_SITES, secrets: SECRETS });
        const triggers = (key: string) => jobOf(run, key).resource.inputs.triggers;
        assert.deepEqual(triggers("db-upgrade"), []);
        assert.deepEqual(triggers("configurator"), []);
        // The configurator never closes a site: its runs recreate the app containers instead.
        assert.deepEqual(triggers("maintenance-on"), []);
        assert.deepEqual(triggers("migrate"), [
            "c0ffeefrappe-staging-maintenance-on",
            "c0ffeefrappe-staging-pre-upgrade-backup",
        ]);
        // The database guard's run reopens the sites too; on a first deploy it had nothing to guard.
        assert.deepEqual(triggers("maintenance-off"), [
            "skipped:frappe-staging-db-upgrade",
            "c0ffeefrappe-staging-maintenance-on",
            "c0ffeefrappe-staging-pre-upgrade-backup",
            "c0ffeefrappe-staging-migrate",
            "c0ffeefrappe-staging-clear-cache",
        ]);
        // Site work outside the window runs for its own inputs only, never because the window ran.
        assert.deepEqual(triggers("sites"), []);
    });

    it("reopens the sites when going back after an upgrade failed half-way", async () => {
        const v1 = { ...TWO_SITES, tag: "v15.88.1" };
        const v2 = { ...TWO_SITES, tag: "v15.89.0" };
        const first = simulateDeploy(new Map(), await runProgram({ stack: "staging", config: v1, secrets: SECRETS }));
        assert.equal(first.failed, undefined);
        const failed = simulateDeploy(
            first.record,
            await runProgram({
                stack: "staging",
                config: v2,
                secrets: SECRETS,
                exitCodes: { "frappe-staging-migrate": 1 },
            }),
        );
        assert.deepEqual(failed.ran, ["configurator", "maintenance-on", "pre-upgrade-backup"]);
        assert.equal(failed.failed, "migrate");
        const back = simulateDeploy(
            failed.record,
            await runProgram({ stack: "staging", config: v1, secrets: SECRETS }),
        );
        // migrate, clear-cache and maintenance-off last succeeded with v1's inputs, yet they run:
        // maintenance-on ran again before them.
        assert.deepEqual(back.ran, [
            "configurator",
            "maintenance-on",
            "pre-upgrade-backup",
            "migrate",
            "clear-cache",
            "maintenance-off",
        ]);
    });

    // terraform-provider-docker v4.5.0 keeps a container whose create timed out in `wait` (its ID is set
    // first, resource_docker_container_funcs.go:460, 590-625); pulumi-terraform-bridge returns it as a
    // partial "initialization failed" result (v3.108.0 pkg/tfbridge/provider.go:1330-1344, 1382-1383,
    // initializationError 2032-2040); the engine keeps it and the next `pulumi up` only updates it
    // (pulumi/pulumi pkg/resource/deploy/step_generator.go, InitErrors), and the provider's update
    // (resource_docker_container_funcs.go:991-1077) never waits for health. So the retry reaches
    // maintenance-off with an unhealthy backend, and only the health gate keeps the sites closed.
    it("keeps the sites closed when the backend failed its health wait and the retry only updated it", async () => {
        const v1 = { ...TWO_SITES, tag: "v15.88.1" };
        const v2 = { ...TWO_SITES, tag: "v15.89.0" };
        const first = simulateDeploy(new Map(), await runProgram({ stack: "staging", config: v1, secrets: SECRETS }));
        assert.equal(first.failed, undefined);

        const createFails = await runProgram({
            stack: "staging",
            config: v2,
            secrets: SECRETS,
            unhealthyAtCreate: ["frappe-staging-backend"],
        });
        assert.match(createFails.error?.message ?? "", /container failed to be in healthy state/);
        const deploy1 = simulateDeploy(first.record, createFails);
        assert.equal(deploy1.failed, "maintenance-off", "the sites stay closed after the failed create");
        assert.ok(deploy1.ran.includes("maintenance-on"));

        // The retry: the kept container is updated without waiting, and it is still unhealthy.
        const retry = await runProgram({
            stack: "staging",
            config: v2,
            secrets: SECRETS,
            health: { "frappe-staging-backend": "unhealthy" },
        });
        assert.ok(registeredKeys(retry).has("backend"), "the update of the kept container proceeds");
        assert.match(
            retry.error?.message ?? "",
            /health gate: frappe-staging-backend is not healthy \(state: running unhealthy\)\nThe sites stay in maintenance mode/,
        );
        const deploy2 = simulateDeploy(deploy1.record, retry);
        assert.deepEqual(deploy2.ran, [], "nothing before maintenance-off runs again");
        assert.equal(deploy2.failed, "maintenance-off", "the gate fails the deploy; the sites stay closed");

        // Once the backend is healthy, the next deploy reopens the sites (and only that runs).
        const fixed = simulateDeploy(
            deploy2.record,
            await runProgram({ stack: "staging", config: v2, secrets: SECRETS }),
        );
        assert.equal(fixed.failed, undefined);
        assert.deepEqual(fixed.ran, ["maintenance-off"]);
    });

    it("gates every reopening on the health of every app process, by label, in the same step", async () => {
        const run = await runProgram({
            stack: "staging",
            config: { ...TWO_SITES, workers: { short: 2, long: 1 } },
            secrets: SECRETS,
            health: { "frappe-staging-queue-short-2": "starting" },
        });
        assert.match(run.error?.message ?? "", /health gate: still starting after 0s: frappe-staging-queue-short-2/);
        const ok = await runProgram({ stack: "staging", config: TWO_SITES, secrets: SECRETS });
        const off = jobOf(ok, "maintenance-off").resource;
        const env = off.inputs.environment as Record<string, string>;
        assert.deepEqual(
            { stack: env.GATE_STACK, roles: env.GATE_ROLES, expect: env.GATE_EXPECT },
            {
                stack: "staging",
                roles: "backend websocket queue-short queue-long queue-custom scheduler frontend",
                expect: "frappe-staging-backend frappe-staging-websocket frappe-staging-scheduler frappe-staging-frontend",
            },
        );
        assert.match(String(off.state.stdout), /health gate: healthy: frappe-staging-backend /);
        // Only the step that reopens sites carries the gate.
        for (const r of jobs(ok).filter((j) => j.name !== "frappe-bench-maintenance-off")) {
            assert.equal((r.inputs.environment as Record<string, string> | undefined)?.GATE_ROLES, undefined, r.name);
        }
    });

    it("runs no maintenance window for backup settings or a new custom queue", async () => {
        const first = simulateDeploy(
            new Map(),
            await runProgram({ stack: "staging", config: TWO_SITES, secrets: SECRETS }),
        );
        const keep = simulateDeploy(
            first.record,
            await runProgram({
                stack: "staging",
                config: { ...TWO_SITES, backup: { keepLast: 7, withFiles: false } },
                secrets: SECRETS,
            }),
        );
        assert.deepEqual(keep.ran, []);
        const queue = simulateDeploy(
            first.record,
            await runProgram({
                stack: "staging",
                config: { ...TWO_SITES, workers: { custom: [{ name: "reports", queues: ["reports"] }] } },
                secrets: SECRETS,
            }),
        );
        assert.deepEqual(queue.ran, ["configurator"]);
    });

    it("leaves no site closed when going back after a failure inside maintenance-on or the backup", async () => {
        const v1 = { ...TWO_SITES, tag: "v15.88.1" };
        const first = simulateDeploy(new Map(), await runProgram({ stack: "staging", config: v1, secrets: SECRETS }));
        const failed = simulateDeploy(
            first.record,
            await runProgram({
                stack: "staging",
                config: { ...TWO_SITES, tag: "v15.89.0" },
                secrets: SECRETS,
                exitCodes: { "frappe-staging-maintenance-on": 1 },
            }),
        );
        assert.equal(failed.failed, "maintenance-on");
        // maintenance-on reopens the sites it closed in a window it opened itself before it fails
        // (windowScripts.test.ts runs that): going back has no window to close.
        const back = simulateDeploy(
            failed.record,
            await runProgram({ stack: "staging", config: v1, secrets: SECRETS }),
        );
        assert.deepEqual(back.ran, ["configurator"]);
        // A failure after it (the backup) leaves maintenance-on recorded with the new image: going back
        // runs the window again, and maintenance-off reopens the sites.
        const backupFailed = simulateDeploy(
            first.record,
            await runProgram({
                stack: "staging",
                config: { ...TWO_SITES, tag: "v15.89.0" },
                secrets: SECRETS,
                exitCodes: { "frappe-staging-pre-upgrade-backup": 1 },
            }),
        );
        assert.equal(backupFailed.failed, "pre-upgrade-backup");
        const backAgain = simulateDeploy(
            backupFailed.record,
            await runProgram({ stack: "staging", config: v1, secrets: SECRETS }),
        );
        assert.ok(backAgain.ran.includes("maintenance-off"), backAgain.ran.join(", "));
    });

    it("runs nothing on a repeat deploy, and only the site work for an added app", async () => {
        const first = simulateDeploy(
            new Map(),
            await runProgram({ stack: "staging", config: TWO_SITES, secrets: SECRETS }),
        );
        const again = simulateDeploy(
            first.record,
            await runProgram({ stack: "staging", config: TWO_SITES, secrets: SECRETS }),
        );
        assert.deepEqual(again.ran, []);
        const moreApps = simulateDeploy(
            first.record,
            await runProgram({
                stack: "staging",
                config: {
                    ...TWO_SITES,
                    sites: [{ name: "erp.example.com", apps: ["erpnext", "hrms", "lms"] }, TWO_SITES.sites[1]],
                },
                secrets: SECRETS,
            }),
        );
        assert.deepEqual(moreApps.ran, ["sites"]);
    });
});

describe("the first deploy onto adopted frappe_docker volumes", () => {
    const adopted = {
        ...TWO_SITES,
        volumes: { sites: "erpnext_sites", "db-data": "erpnext_db-data", logs: "erpnext_logs" },
    };

    it("closes and backs up the existing sites before anything migrates, and only then looks at the sites", async () => {
        const run = await runProgram({ stack: "production", config: adopted, secrets: SECRETS });
        assert.equal(run.error, undefined, run.error?.message);
        const first = simulateDeploy(new Map(), run);
        assert.equal(first.failed, undefined);
        // No database server of this stack ran before: the guard has nothing to do (db-guard.sh skips).
        assert.deepEqual(first.ran, [
            "frappe-volumes-adopted-check",
            "db-upgrade",
            "configurator",
            "maintenance-on",
            "pre-upgrade-backup",
            "migrate",
            "clear-cache",
            "maintenance-off",
            "sites",
            // production: restore drills on by default, their account once the sites are open again.
            "drill-account",
        ]);
        // Ordered by the graph, not only by the simulation's walk.
        assert.ok(closure(run, "frappe-bench-migrate").has("frappe-bench-pre-upgrade-backup"));
        assert.ok(closure(run, "frappe-bench-pre-upgrade-backup").has("frappe-bench-maintenance-on"));
        assert.ok(closure(run, "frappe-bench-sites").has("frappe-bench-migrate"));
        assert.deepEqual(jobOf(run, "pre-upgrade-backup").volumes, [
            "erpnext_sites:/home/frappe/frappe-bench/sites",
            "erpnext_logs:/home/frappe/frappe-bench/logs",
        ]);
    });

    it("runs the real job scripts on an existing site: backed up first, never created again", () => {
        const bench = fs.mkdtempSync(path.join(os.tmpdir(), "adopted-bench-"));
        const bin = path.join(bench, "bin");
        fs.mkdirSync(bin);
        fs.mkdirSync(path.join(bench, "sites", "erp.example.com", "private", "backups"), { recursive: true });
        fs.writeFileSync(path.join(bench, "sites", "erp.example.com", "site_config.json"), '{"db_name":"_abc"}');
        const log = path.join(bench, "bench.log");
        // A stand-in `bench`: logs every call; `backup` writes a dump into its --backup-path, `list-apps` lists erpnext.
        fs.writeFileSync(
            path.join(bin, "bench"),
            [
                "#!/bin/sh",
                `echo "$*" >> ${log}`,
                'case "$*" in',
                '*" backup --backup-path "*) sleep 1; touch "$5/20260101_000000-x-database.sql.gz" ;;',
                '*list-apps*) printf "frappe 15.88.1\\nerpnext 15.88.1\\n" ;;',
                "esac",
            ].join("\n"),
            { mode: 0o755 },
        );
        // The sites job checks the image's apps/ first: this bench has erpnext.
        fs.mkdirSync(path.join(bench, "apps", "erpnext"), { recursive: true });
        // The scripts are files; their parameters reach them as env, spelt as the job runner spells them.
        // Each runs after secret-prelude.sh, as a job with secrets does (no secret on stdin here: none is needed).
        const runScript = (job: JobScript) =>
            spawnSync("bash", ["-c", readScript("secret-prelude.sh") + readScript(job.file)], {
                cwd: bench,
                encoding: "utf8",
                input: "",
                env: {
                    ...process.env,
                    PATH: `${bin}:${process.env.PATH ?? ""}`,
                    DB_ROOT_USER: "root",
                    ...paramEnv(job.params),
                },
            });
        const backup = runScript(backupScript({ withFiles: true, label: "pre-upgrade-backup" }));
        assert.equal(backup.status, 0, backup.stderr);
        const site = runScript(
            sitesScript({ sites: [{ name: "erp.example.com", apps: ["erpnext"] }], postgres: false, parallel: 2 }),
        );
        assert.equal(site.status, 0, site.stderr);
        assert.match(site.stdout, /\[erp\.example\.com\] sites: erp\.example\.com has every listed app/);
        assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), [
            `--site erp.example.com backup --backup-path ${bench}/sites/.backups/erp.example.com --with-files`,
            "--site erp.example.com list-apps",
        ]);
        fs.rmSync(bench, { recursive: true, force: true });
    });
});
