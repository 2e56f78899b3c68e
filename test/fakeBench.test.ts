import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { addSite, FAKE_BENCH_DIR, TempBench, tempBench } from "./jobScript";

/*
 * The stand-in bench (test/fakebench/bench) applies Frappe's own rules to the files of the bench, each
 * tested both ways: what Frappe deletes is deleted, what it keeps is kept. The rules and their sources
 * are listed at the top of the stand-in.
 */

const HOUR = 3600;
const T0 = 1_790_000_000; // 2026-09-21, a fixed clock: every run names its backups after it

const bench = tempBench;

/** The stand-in bench, run in the bench directory; it must succeed. */
function benchCall(b: TempBench, args: string[], env: Record<string, string> = {}) {
    const r = spawnSync("bash", [path.join(FAKE_BENCH_DIR, "bench"), ...args], {
        cwd: b.dir,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    return r;
}

function filesIn(...parts: string[]): string[] {
    const dir = path.join(...parts);
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** A bench with one site that has one backup, taken at the real time (its ctime is now). */
function withOneBackup(config: Record<string, unknown> = { db_name: "x" }) {
    const b = bench();
    addSite(b.dir, "a.example.com", config);
    const now = Math.floor(Date.now() / 1000);
    benchCall(b, ["--site", "a.example.com", "backup", "--with-files"], { FAKE_BENCH_NOW: String(now) });
    const privateDir = path.join(b.dir, "sites", "a.example.com", "private", "backups");
    assert.equal(filesIn(privateDir).length, 4, filesIn(privateDir).join(" "));
    return { b, now, privateDir };
}

describe("the stand-in bench applies Frappe's backup cleanup (delete_temp_backups)", () => {
    it("deletes every file of private/backups 24 h old at the next backup, and keeps one a second younger", () => {
        const { b, privateDir } = withOneBackup();
        const first = filesIn(privateDir);
        // The newest ctime among them, in whole seconds as Frappe's datetime comparison sees it.
        const ctime = Math.max(...first.map((f) => Math.floor(fs.statSync(path.join(privateDir, f)).ctimeMs / 1000)));
        benchCall(b, ["--site", "a.example.com", "backup"], { FAKE_BENCH_NOW: String(ctime + 24 * HOUR - 1) });
        assert.ok(
            first.every((f) => filesIn(privateDir).includes(f)),
            "24 h less a second: kept",
        );
        benchCall(b, ["--site", "a.example.com", "backup"], { FAKE_BENCH_NOW: String(ctime + 24 * HOUR) });
        assert.ok(
            first.every((f) => !filesIn(privateDir).includes(f)),
            "24 h: deleted",
        );
    });

    it("reads keep_backups_for_hours with cint from the site's config over common_site_config.json", () => {
        const { b, now, privateDir } = withOneBackup({ db_name: "x", keep_backups_for_hours: 2 });
        fs.writeFileSync(path.join(b.dir, "sites", "common_site_config.json"), '{"keep_backups_for_hours": 48}');
        const first = filesIn(privateDir);
        benchCall(b, ["--site", "a.example.com", "backup"], { FAKE_BENCH_NOW: String(now + 3 * HOUR) });
        assert.ok(
            first.every((f) => !filesIn(privateDir).includes(f)),
            "the site's 2 h win over the common 48 h",
        );

        const other = withOneBackup({ db_name: "x", keep_backups_for_hours: "not a number" });
        const kept = filesIn(other.privateDir);
        benchCall(other.b, ["--site", "a.example.com", "backup"], { FAKE_BENCH_NOW: String(other.now + 23 * HOUR) });
        assert.ok(
            kept.every((f) => filesIn(other.privateDir).includes(f)),
            "cint('not a number') is 0: the default 24 h",
        );
    });

    it("writes into --backup-path with Frappe's names and never cleans it", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        const ours = path.join(b.dir, "sites", ".backups", "a.example.com");
        const now = Math.floor(Date.now() / 1000);
        for (const hours of [0, 30, 60]) {
            benchCall(b, ["--site", "a.example.com", "backup", "--with-files", "--backup-path", ours], {
                FAKE_BENCH_NOW: String(now + hours * HOUR),
                FAKE_BENCH_ENC: "1",
            });
        }
        const files = filesIn(ours);
        assert.equal(files.length, 12, files.join(" "));
        const stamp = new Date(now * 1000);
        const name = files[0];
        assert.match(name, /^\d{8}_\d{6}-a_example_com-database-enc\.sql\.gz$/);
        assert.ok(name.startsWith(String(stamp.getFullYear())), name);
        for (const suffix of ["site_config_backup-enc.json", "files-enc.tar", "private-files-enc.tar"]) {
            assert.ok(files.includes(name.replace("database-enc.sql.gz", suffix)), suffix);
        }
        assert.deepEqual(filesIn(b.dir, "sites", "a.example.com", "private", "backups"), []);
    });

    it("with --site all and --backup-path puts every site's backup into the one directory", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        addSite(b.dir, "b.example.com");
        // Relative to sites/, where bench runs Frappe.
        benchCall(b, ["--site", "all", "backup", "--backup-path", "shared"], { FAKE_BENCH_NOW: String(T0) });
        const files = filesIn(b.dir, "sites", "shared");
        assert.ok(files.some((f) => f.includes("-a_example_com-")) && files.some((f) => f.includes("-b_example_com-")));
    });
});

describe("the stand-in bench applies Frappe's hourly backup_limit job (delete_downloadable_backups)", () => {
    it("keeps the backup_limit newest backups of private/backups and nothing else is touched", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        const ours = path.join(b.dir, "sites", ".backups", "a.example.com");
        for (let i = 0; i < 4; i++) {
            benchCall(b, ["--site", "a.example.com", "backup", "--with-files"], { FAKE_BENCH_NOW: String(T0 + i) });
            benchCall(b, ["--site", "a.example.com", "backup", "--backup-path", ours], {
                FAKE_BENCH_NOW: String(T0 + 100 + i),
            });
        }
        const job = "frappe.desk.page.backups.backups.delete_downloadable_backups";
        benchCall(b, ["--site", "a.example.com", "execute", job], { FAKE_BENCH_BACKUP_LIMIT: "2" });
        const left = filesIn(b.dir, "sites", "a.example.com", "private", "backups");
        assert.equal(new Set(left.map((f) => f.slice(0, 15))).size, 2, left.join(" "));
        assert.equal(left.length, 8, "whole backups go, all four files of each");
        assert.equal(filesIn(ours).length, 8, "the --backup-path directory is not Frappe's");
    });
});

describe("the stand-in bench's drop-site (archives like frappe/commands/site.py _drop_site)", () => {
    it("archives under <bench>/archived/sites by default: the container's filesystem, not the sites volume", () => {
        const b = bench();
        addSite(b.dir, "a.example.com");
        const r = benchCall(b, ["drop-site", "a.example.com", "--db-root-password", "pw"], {
            FAKE_BENCH_NOW: String(T0),
        });
        assert.match(r.stdout, /Moving site to archive under .*\/archived\/sites/);
        assert.ok(!fs.existsSync(path.join(b.dir, "sites", "a.example.com")));
        const archived = path.join(b.dir, "archived", "sites", "a.example.com");
        assert.equal(filesIn(archived, "private", "backups").length, 4, "its last backup is inside the archive");
    });

    it("archives onto the sites volume with --archived-sites-path, and never over an earlier archive", () => {
        const b = bench();
        const archive = path.join(b.dir, "sites", ".archived");
        for (let i = 0; i < 2; i++) {
            addSite(b.dir, "a.example.com", { db_name: `x${i}` });
            benchCall(b, ["drop-site", "a.example.com", "--archived-sites-path", archive], {
                FAKE_BENCH_NOW: String(T0 + i),
            });
        }
        assert.deepEqual(filesIn(archive), ["a.example.com", "a.example.com1"]);
        const config = (name: string) => fs.readFileSync(path.join(archive, name, "site_config.json"), "utf8");
        assert.match(config("a.example.com"), /"x0"/);
        assert.match(config("a.example.com1"), /"x1"/);
        assert.ok(!fs.existsSync(path.join(b.dir, "archived")), "nothing under <bench>/archived");
        // An archived site is no site: `--site all` (get_sites) looks one level down only.
        const r = benchCall(b, ["--site", "all", "backup"], { FAKE_BENCH_NOW: String(T0 + 10) });
        assert.equal(r.status, 0);
        assert.equal(filesIn(archive, "a.example.com", "private", "backups").length, 4, "not backed up again");
    });
});
