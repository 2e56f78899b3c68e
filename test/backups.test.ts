import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ScriptFile } from "../components/bench/scriptFiles";
import { REPO_ROOT } from "./harness";
import { addSite, FAKE_BENCH_DIR, runJobScript, TempBench, tempBench } from "./jobScript";
import { requireTool } from "./tools";

/*
 * backup.sh and restore.sh against the stand-in bench, which deletes what Frappe deletes
 * (test/fakeBench.test.ts): backups live in sites/.backups/<site>/, where only our rules apply.
 */

const HOUR = 3600;

/** Files of a site's backups directory on the sites volume (ours), by name. */
function ours(dir: string, site: string): string[] {
    const d = path.join(dir, "sites", ".backups", site);
    return fs.existsSync(d) ? fs.readdirSync(d).sort() : [];
}

function stampsOf(files: string[]): Set<string> {
    return new Set(files.filter((f) => f.includes("-database")).map((f) => f.slice(0, 15)));
}

const bench = tempBench;
type BenchDir = TempBench;
const ROOT_PW = { "db-root-password": "root-pw" };

function run(b: TempBench, file: ScriptFile, env: Record<string, string>, secrets?: Record<string, string>) {
    return runJobScript(b, file, env, secrets ? { secrets } : {});
}

/** The stand-in bench itself, run in the bench directory. */
function benchCommand(b: TempBench, args: string[], env: Record<string, string>) {
    return spawnSync("bash", [path.join(FAKE_BENCH_DIR, "bench"), ...args], {
        cwd: b.dir,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", ...env },
    });
}

/** A clock for the stand-in bench that moves a minute per run: each run's backups get a new name. */
let clock = Math.floor(Date.now() / 1000);

function backupOk(b: BenchDir, env: Record<string, string>) {
    clock += 60;
    const r = run(b, "backup.sh", { FAKE_BENCH_NOW: String(clock), ...env });
    assert.equal(r.status, 0, r.stderr);
    return r;
}

describe("backups (backup.sh, run)", () => {
    for (const enc of [false, true]) {
        const kind = enc ? "encrypted (-enc) backups" : "plain backups";
        it(`backs up each site into sites/.backups/<site> and prunes there to keepLast, with ${kind}`, () => {
            const b = bench();
            addSite(b.dir, "a.example.com");
            addSite(b.dir, "b.example.com");
            const env = { BACKUP_LABEL: "scheduled-backup", BACKUP_WITH_FILES: "1", BACKUP_KEEP_LAST: "2" };
            const fakeEnc = { FAKE_BENCH_ENC: enc ? "1" : "0" };
            for (let i = 0; i < 3; i++) {
                const r = backupOk(b, { ...env, ...fakeEnc });
                assert.match(r.stdout, /scheduled-backup: backed up 2 site\(s\) into sites\/\.backups/);
            }
            const files = ours(b.dir, "a.example.com");
            const dumps = files.filter((f) => f.includes("-database"));
            assert.equal(dumps.length, 2, files.join(" "));
            assert.ok(dumps.every((f) => f.endsWith(enc ? "-database-enc.sql.gz" : "-database.sql.gz")));
            // The other files of the kept runs stay, those of the pruned run go.
            assert.equal(files.length, 8, files.join(" "));
            assert.deepEqual(fs.readdirSync(path.join(b.dir, "sites", "a.example.com", "private", "backups")), []);
        });
    }

    it("asks bench for one site at a time, with an absolute --backup-path (bench runs Frappe from sites/)", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        addSite(b.dir, "b.example.com");
        const r = backupOk(b, { BACKUP_WITH_FILES: "1" });
        assert.deepEqual(r.calls, [
            `--site a.example.com backup --backup-path ${b.dir}/sites/.backups/a.example.com --with-files`,
            `--site b.example.com backup --backup-path ${b.dir}/sites/.backups/b.example.com --with-files`,
        ]);
        const noFiles = backupOk(b, { BACKUP_WITH_FILES: "0" });
        assert.ok(noFiles.calls.slice(2).every((c) => !c.includes("--with-files")));
    });

    it("keeps a backup older than 24 h through later backups, and restores it by name", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        const t0 = Math.floor(Date.now() / 1000);
        backupOk(b, { BACKUP_KEEP_LAST: "28", FAKE_BENCH_NOW: String(t0) });
        const [first] = [...stampsOf(ours(b.dir, "a.example.com"))];
        // Two days of scheduled backups: Frappe's cleanup runs before each one (keep_backups_for_hours 24).
        for (const hours of [6, 12, 18, 24, 30, 36, 42, 48]) {
            backupOk(b, { BACKUP_KEEP_LAST: "28", FAKE_BENCH_NOW: String(t0 + hours * HOUR) });
        }
        assert.ok(stampsOf(ours(b.dir, "a.example.com")).has(first), "the first backup is still there after 48 h");
        assert.equal(stampsOf(ours(b.dir, "a.example.com")).size, 9);
        const r = run(
            b,
            "restore.sh",
            { SITE: "a.example.com", RESTORE_BACKUP: first, RESTORE_WITH_FILES: "1", DB_ROOT_USER: "root" },
            ROOT_PW,
        );
        assert.equal(r.status, 0, r.stderr);
        const dir = `${b.dir}/sites/.backups/a.example.com`;
        assert.ok(
            r.calls.includes(
                `--site a.example.com restore ${dir}/${first}-a_example_com-database.sql.gz ` +
                    `--with-public-files ${dir}/${first}-a_example_com-files.tar ` +
                    `--with-private-files ${dir}/${first}-a_example_com-private-files.tar --force ` +
                    "--db-root-username root --db-root-password root-pw",
            ),
            r.calls.join("\n"),
        );
    });

    it("keeps the backup frappe:restore names when pruning", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        backupOk(b, { BACKUP_WITH_FILES: "0", FAKE_BENCH_ENC: "1" });
        const [protect] = [...stampsOf(ours(b.dir, "a.example.com"))];
        for (let i = 0; i < 2; i++) {
            backupOk(b, { BACKUP_WITH_FILES: "0", BACKUP_KEEP_LAST: "1", BACKUP_PROTECT: protect });
        }
        const stamps = stampsOf(ours(b.dir, "a.example.com"));
        assert.equal(stamps.size, 2);
        assert.ok(stamps.has(protect));
    });

    it("pins the backups of a BACKUP_PIN run (the pre-upgrade backup): no later run prunes them", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        backupOk(b, { BACKUP_LABEL: "pre-upgrade-backup", BACKUP_PIN: "1" });
        const [pinned] = [...stampsOf(ours(b.dir, "a.example.com"))];
        assert.equal(
            fs.readFileSync(path.join(b.dir, "sites", ".backups", "a.example.com", `${pinned}.pinned`), "utf8"),
            "pre-upgrade-backup\n",
        );
        for (let i = 0; i < 3; i++) {
            backupOk(b, { BACKUP_LABEL: "scheduled-backup", BACKUP_KEEP_LAST: "1" });
        }
        const stamps = stampsOf(ours(b.dir, "a.example.com"));
        assert.ok(stamps.has(pinned));
        assert.equal(stamps.size, 2, "the pinned one and the newest scheduled one");
        // Without the pin the same runs prune it: the test can fail.
        fs.rmSync(path.join(b.dir, "sites", ".backups", "a.example.com", `${pinned}.pinned`));
        backupOk(b, { BACKUP_KEEP_LAST: "1" });
        assert.ok(!stampsOf(ours(b.dir, "a.example.com")).has(pinned));
    });

    it("deletes exactly one pinned backup with the command of docs/backups.md", () => {
        const b = bench();
        addSite(b.dir, "erp.example.com");
        backupOk(b, { BACKUP_PIN: "1" });
        backupOk(b, { BACKUP_PIN: "1" });
        const [newer, older] = [...stampsOf(ours(b.dir, "erp.example.com"))].sort().reverse();
        const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "backups.md"), "utf8");
        const command =
            /docker exec frappe-production-backend sh -c '(rm sites\/\.backups\/erp\.example\.com\/20261120_040000\[-\.\]\*)'/.exec(
                doc,
            );
        assert.ok(command, "the removal command of docs/backups.md");
        const r = spawnSync("sh", ["-c", command[1].replace("20261120_040000", older)], {
            cwd: b.dir,
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        const left = ours(b.dir, "erp.example.com");
        assert.ok(
            left.every((f) => f.startsWith(newer)),
            left.join(" "),
        );
        assert.equal(left.length, 5, "the other backup: its four files and its .pinned");
    });

    it("takes in a backup made by hand in private/backups before Frappe's cleanup deletes it", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        const privateDir = path.join(b.dir, "sites", "a.example.com", "private", "backups");
        const t0 = Math.floor(Date.now() / 1000);
        // By hand: `bench --site a.example.com backup`, into Frappe's own directory.
        const byHand = benchCommand(b, ["--site", "a.example.com", "backup"], { FAKE_BENCH_NOW: String(t0) });
        assert.equal(byHand.status, 0, byHand.stderr);
        const [handStamp] = [...stampsOf(fs.readdirSync(privateDir))];
        backupOk(b, { BACKUP_KEEP_LAST: "1", FAKE_BENCH_NOW: String(t0 + 25 * HOUR) });
        assert.deepEqual(fs.readdirSync(privateDir), [], "Frappe deleted its copy");
        backupOk(b, { BACKUP_KEEP_LAST: "1", FAKE_BENCH_NOW: String(t0 + 50 * HOUR) });
        const files = ours(b.dir, "a.example.com");
        assert.ok(stampsOf(files).has(handStamp), files.join(" "));
        assert.ok(files.includes(`${handStamp}.pinned`));
    });

    it("refuses to continue without a new dump, naming the site", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        const r = run(b, "backup.sh", { BACKUP_LABEL: "pre-upgrade-backup", FAKE_BENCH_NO_DUMP: "1" });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /pre-upgrade-backup: no new database backup for a.example.com; refusing to continue/);
    });

    it("does nothing on a bench without sites", () => {
        const r = run(bench(), "backup.sh", { BACKUP_LABEL: "pre-upgrade-backup" });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, []);
    });
});

describe("restore (restore.sh, run)", () => {
    const STAMP = "20260101_120000";

    function withBackup(enc: boolean, content = "-- CREATE TABLE `tabDefaultValue`\n", where = "ours") {
        const b = bench();
        addSite(b.dir, "a.example.com", { db_name: "x", backup_encryption_key: "k3y" });
        const dir =
            where === "ours"
                ? path.join(b.dir, "sites", ".backups", "a.example.com")
                : path.join(b.dir, "sites", "a.example.com", "private", "backups");
        fs.mkdirSync(dir, { recursive: true });
        const e = enc ? "-enc" : "";
        const gz = spawnSync("gzip", ["-c"], { input: content });
        const db = path.join(dir, `${STAMP}-a_example_com-database${e}.sql.gz`);
        if (enc) {
            // As Frappe v15 encrypts: gpg symmetric with the site's backup_encryption_key.
            const g = spawnSync(
                "gpg",
                ["--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "k3y", "-c", "-o", db],
                { input: gz.stdout },
            );
            assert.equal(g.status, 0, String(g.stderr));
        } else {
            fs.writeFileSync(db, gz.stdout);
        }
        fs.writeFileSync(path.join(dir, `${STAMP}-a_example_com-files${e}.tar`), "");
        fs.writeFileSync(path.join(dir, `${STAMP}-a_example_com-private-files${e}.tar`), "");
        return { b, dir, db, e };
    }

    const ENV = { SITE: "a.example.com", RESTORE_BACKUP: STAMP, RESTORE_WITH_FILES: "1", DB_ROOT_USER: "root" };

    function restoreCall(db: string, dir: string, e: string): string {
        return (
            `--site a.example.com restore ${db} --with-public-files ${dir}/${STAMP}-a_example_com-files${e}.tar ` +
            `--with-private-files ${dir}/${STAMP}-a_example_com-private-files${e}.tar --force ` +
            "--db-root-username root --db-root-password root-pw"
        );
    }

    for (const enc of [false, true]) {
        it(`finds and checks ${enc ? "an encrypted (-enc)" : "a plain"} backup, restores it once`, function () {
            if (enc) {
                requireTool(this, spawnSync("gpg", ["--version"]).status === 0, "gpg", "apt-get install -y gpg");
            }
            const { b, dir, db, e } = withBackup(enc);
            const r = run(b, "restore.sh", ENV, ROOT_PW);
            assert.equal(r.status, 0, r.stderr);
            // Absolute paths: bench runs Frappe from sites/.
            assert.equal(
                r.calls.find((c) => c.includes(" restore ")),
                restoreCall(db, dir, e),
            );
            const again = run(b, "restore.sh", ENV, ROOT_PW);
            assert.equal(again.status, 0, again.stderr);
            assert.match(again.stdout, /was restored into a.example.com on .*; not again/);
            assert.equal(again.calls.filter((c) => c.includes(" restore ")).length, 1);
        });
    }

    it("finds a backup in the site's private/backups when sites/.backups has none of that name", () => {
        const { b, dir, db } = withBackup(false, "-- CREATE TABLE `tabDefaultValue`\n", "private");
        const r = run(b, "restore.sh", ENV, ROOT_PW);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(
            r.calls.find((c) => c.includes(" restore ")),
            restoreCall(db, dir, ""),
        );
    });

    it("prefers sites/.backups when both directories hold that backup", () => {
        const { b, dir, db } = withBackup(false);
        const privateDir = path.join(b.dir, "sites", "a.example.com", "private", "backups");
        for (const f of fs.readdirSync(dir)) {
            fs.copyFileSync(path.join(dir, f), path.join(privateDir, f));
        }
        const r = run(b, "restore.sh", ENV, ROOT_PW);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(
            r.calls.find((c) => c.includes(" restore ")),
            restoreCall(db, dir, ""),
        );
    });

    it("refuses a file that is not a Frappe dump, before touching the site", () => {
        const { b } = withBackup(false, "hello\n");
        const r = run(b, "restore.sh", ENV, ROOT_PW);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /does not look like a Frappe database dump/);
        assert.deepEqual(r.calls, []);
    });

    it("names what is missing, and where it looked", () => {
        const { b } = withBackup(false);
        const r = run(b, "restore.sh", { ...ENV, RESTORE_BACKUP: "20250101_000000" }, ROOT_PW);
        assert.notEqual(r.status, 0);
        assert.match(
            r.stderr,
            /restore: no database backup 20250101_000000 for a.example.com in \S+\/sites\/\.backups\/a\.example\.com \S+\/sites\/a\.example\.com\/private\/backups/,
        );
    });
});
