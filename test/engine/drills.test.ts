import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SCRIPTS_DIR } from "../../components/bench/scriptFiles";
import { DbServer, Engine, scratchDatabases, startServer } from "./dbServers";
import { debianImage, removeRunObjects, RUN_LABEL } from "./debianImage";
import { docker, dockerOk, RUN_ID } from "./engine";
import { createSiteDatabase, Damage, fingerprint, Site, SITES_DIR, takeBackup, writeSiteConfig } from "./siteFixture";

/*
 * Real-engine tier: restore drills (components/bench/scripts/drill.sh) against REAL MariaDB and
 * PostgreSQL servers (Debian's packages, in the tier's Debian image), with real dumps made by
 * mysqldump / pg_dump the way Frappe makes them, of a small Frappe-like schema. The account the
 * stack creates (drill-account.sh) is checked for what it can and cannot reach; good backups (plain
 * and encrypted) pass, a dump without its end, a dump cut mid-statement, a cut gzip and a database
 * missing a core table fail, naming site and backup; no scratch database is left and the sites'
 * databases are untouched.
 */

const DRILL_USER = "frappe_drill";
const DRILL_PASSWORD = "DrillPassw0rd4Tests";
const ROOT_PASSWORD = "Root-pw: 'quoted' \\ and \"more\"";
const STAMP = "20260101_030000";
const KEY = "k3y-for-backups";

interface Bench {
    readonly image: string;
    readonly network: string;
    readonly volume: string;
    readonly secrets: string;
}

/** Runs a script in a container of the image, as the frappe user, on the bench's sites volume. */
function inBench(b: Bench, script: string, env: Record<string, string> = {}) {
    return docker([
        ...["run", "--rm", ...RUN_LABEL, "--network", b.network],
        ...[
            "-v",
            `${b.volume}:${SITES_DIR}`,
            "-v",
            `${SCRIPTS_DIR}:/home/frappe/backup-cron:ro`,
            "-v",
            `${b.secrets}:/run/secrets:ro`,
        ],
        ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
        ...[b.image, "bash", "-c", script],
    ]);
}

function accountJob(b: Bench, server: DbServer) {
    return inBench(b, "bash /home/frappe/backup-cron/drill-account.sh", {
        DB_TYPE: server.engine,
        DB_HOST: server.alias,
        DB_PORT: String(server.port),
        DB_ROOT_USER: server.rootUser,
        DRILL_DB_USER: DRILL_USER,
    });
}

function drill(b: Bench, arg = "") {
    return inBench(b, `bash /home/frappe/backup-cron/drill.sh ${arg}`, {
        DRILL_DB_USER: DRILL_USER,
        FRAPPE_STACK: "production",
    });
}

/** SQL as the drill account, from the bench's network. */
function asDrillAccount(b: Bench, server: DbServer, sql: string) {
    const script =
        server.engine === "mariadb"
            ? `printf '[client]\\nuser=${DRILL_USER}\\npassword=${DRILL_PASSWORD}\\nhost=${server.alias}\\n' > /tmp/c && mariadb --defaults-extra-file=/tmp/c -e "$SQL"`
            : `PGPASSWORD=${DRILL_PASSWORD} psql -X -q -v ON_ERROR_STOP=1 -h ${server.alias} -U ${DRILL_USER} -d postgres -c "$SQL"`;
    return inBench(b, script, { SQL: sql });
}

function readStatus(b: Bench, site: string): Record<string, unknown> {
    const r = inBench(b, `cat sites/.backups/.status/drill-${site}.json`);
    assert.equal(r.status, 0, `no status file for ${site}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
}

function site(name: string, without?: string[]): Site {
    const db = `_${Buffer.from(name).toString("hex").slice(0, 15)}`;
    return { name, db, dbPassword: `pw${db}`, without };
}

interface Case {
    readonly site: Site;
    readonly damage: Damage;
    readonly encrypted: boolean;
    /** The error the drill must record, or undefined when it must pass. */
    readonly error?: RegExp;
}

const CASES: Record<Engine, Case[]> = {
    mariadb: [
        { site: site("erp.example.com"), damage: "none", encrypted: false },
        { site: site("enc.example.com"), damage: "none", encrypted: true },
        {
            site: site("end.example.com"),
            damage: "no-trailer",
            encrypted: false,
            error: /^checking that the dump is complete: the dump is incomplete/,
        },
        {
            site: site("cut.example.com"),
            damage: "cut-mid-statement",
            encrypted: false,
            error: /^loading .*: ERROR 1064/,
        },
        {
            site: site("gz.example.com"),
            damage: "cut-gzip",
            encrypted: true,
            error: /^loading .*unexpected end of file/,
        },
        {
            site: site("auth.example.com", ["__Auth"]),
            damage: "none",
            encrypted: false,
            error: /core table\(s\) __Auth missing/,
        },
    ],
    postgres: [
        { site: site("erp.example.com"), damage: "none", encrypted: false },
        { site: site("enc.example.com"), damage: "none", encrypted: true },
        {
            site: site("end.example.com"),
            damage: "no-trailer",
            encrypted: false,
            error: /^checking that the dump is complete: the dump is incomplete/,
        },
        {
            site: site("cut.example.com"),
            damage: "cut-mid-statement",
            encrypted: false,
            error: /^loading .*(ERROR|syntax|invalid|unexpected)/,
        },
        {
            site: site("user.example.com", ["tabUser"]),
            damage: "none",
            encrypted: false,
            error: /core table\(s\) tabUser missing/,
        },
    ],
};

async function setUp(ctx: Mocha.Context, engine: Engine): Promise<{ b: Bench; server: DbServer }> {
    const image = debianImage(ctx);
    const network = `drill-${engine}-${RUN_ID}`;
    const volume = `drill-${engine}-sites-${RUN_ID}`;
    dockerOk(["network", "create", ...RUN_LABEL, network]);
    dockerOk(["volume", "create", ...RUN_LABEL, volume]);
    const secrets = fs.mkdtempSync(path.join(os.tmpdir(), "drill-secrets-"));
    fs.chmodSync(secrets, 0o755);
    fs.writeFileSync(path.join(secrets, "db-root-password"), ROOT_PASSWORD, { mode: 0o644 });
    fs.writeFileSync(path.join(secrets, "drill-db-password"), DRILL_PASSWORD, { mode: 0o644 });
    const b: Bench = { image, network, volume, secrets };
    const server = await startServer(engine, image, {
        name: `drill-${engine}-${RUN_ID}`,
        network,
        alias: "db",
        rootPassword: ROOT_PASSWORD,
    });
    const common = { db_host: "db", db_port: server.port };
    for (const c of CASES[engine]) {
        createSiteDatabase(server, c.site);
        const config = {
            db_name: c.site.db,
            db_password: c.site.dbPassword,
            ...(engine === "postgres" ? { db_type: "postgres" } : {}),
            ...(c.encrypted ? { backup_encryption_key: KEY } : {}),
        };
        writeSiteConfig(b, c.site, config, common);
        takeBackup(server, c.site, {
            image,
            network,
            volume,
            stamp: STAMP,
            damage: c.damage,
            encryptionKey: c.encrypted ? KEY : undefined,
        });
    }
    // The account the stack creates before backup-cron starts (the first test checks what it can reach).
    const job = accountJob(b, server);
    assert.equal(job.status, 0, job.stderr);
    return { b, server };
}

for (const engine of ["mariadb", "postgres"] as const) {
    describe(`restore drills against a real ${engine} server`, function () {
        this.timeout(600_000);
        let b: Bench | undefined;
        let server: DbServer;
        const live = () => CASES[engine][0].site;

        let started = false;

        before(async function () {
            debianImage(this);
            // From here on this run creates objects: the after hook removes them even when setUp fails.
            started = true;
            ({ b, server } = await setUp(this, engine));
        });

        after(function () {
            if (!started) {
                return;
            }
            if (b !== undefined) {
                fs.rmSync(b.secrets, { recursive: true, force: true });
            }
            assert.deepEqual(removeRunObjects(), []);
        });

        it("creates the drill account: it can create and drop drill_ databases only, never touch a site's", () => {
            const bench = b as Bench;
            // The job runs again on later deploys: it sets the password again, nothing else changes.
            for (let i = 0; i < 2; i++) {
                const job = accountJob(bench, server);
                assert.equal(job.status, 0, job.stderr);
                assert.match(
                    job.stdout,
                    new RegExp(`drill-account: ${DRILL_USER} can create and drop drill_\\* databases`),
                );
            }
            const q = (n: string) => (engine === "mariadb" ? `\`${n}\`` : `"${n}"`);
            const ok = (sql: string) => assert.equal(asDrillAccount(bench, server, sql).status, 0, sql);
            const denied = (sql: string) => {
                const r = asDrillAccount(bench, server, sql);
                assert.notEqual(r.status, 0, `${sql} was allowed`);
                assert.match(r.stderr, /denied|permission|must be owner/i);
            };
            ok(`CREATE DATABASE ${q("drill_probe")}`);
            ok(`DROP DATABASE ${q("drill_probe")}`);
            denied(`DROP DATABASE ${q(live().db)}`);
            if (engine === "mariadb") {
                denied(`CREATE DATABASE ${q("probe")}`);
                denied(`SELECT * FROM ${q(live().db)}.${q("tabUser")}`);
            } else {
                const r = inBench(
                    bench,
                    `PGPASSWORD=${DRILL_PASSWORD} psql -X -q -h db -U ${DRILL_USER} -d ${live().db} -c 'SELECT * FROM "tabUser"'`,
                );
                assert.notEqual(r.status, 0);
                assert.match(r.stderr, /permission denied/);
            }
        });

        it("drills every site: good backups pass, damaged ones fail naming site and backup, nothing left behind", () => {
            const bench = b as Bench;
            const before = CASES[engine].map((c) => fingerprint(server, c.site));
            const r = drill(bench);
            assert.notEqual(r.status, 0, "a failed drill fails the run (backup-cron turns unhealthy)");
            for (const c of CASES[engine]) {
                const status = readStatus(bench, c.site.name);
                const file = `${STAMP}-${c.site.name.replace(/\./g, "_")}-database${c.encrypted ? "-enc" : ""}.sql.gz`;
                assert.deepEqual(Object.keys(status), ["finished", "ok", "backup", "engine", "error"]);
                assert.equal(status.backup, file);
                assert.equal(status.engine, engine);
                if (c.error === undefined) {
                    assert.equal(status.ok, true, `${c.site.name}: ${String(status.error)}`);
                    assert.equal(status.error, null);
                    assert.match(r.stdout, new RegExp(`drill: ${c.site.name} ok: ${file} restored .*, 2 user\\(s\\)`));
                } else {
                    assert.equal(status.ok, false, c.site.name);
                    assert.match(String(status.error), c.error, `${c.site.name}: ${String(status.error)}`);
                    assert.doesNotMatch(String(status.error), /SINV-|Custome/, "no site data in the error");
                    assert.match(r.stderr, new RegExp(`drill: ${c.site.name} FAILED \\(backup ${file}\\): `));
                }
            }
            assert.deepEqual(scratchDatabases(server), [], "every scratch database dropped, failed drills too");
            assert.deepEqual(
                CASES[engine].map((c) => fingerprint(server, c.site)),
                before,
                "the sites' databases are untouched",
            );
            const shown = drill(bench, "status");
            assert.notEqual(shown.status, 0);
            for (const c of CASES[engine]) {
                assert.match(
                    shown.stdout,
                    new RegExp(`^${c.site.name} +\\S+Z +${c.error ? "FAILED" : "ok"} +${engine} `, "m"),
                );
            }
            assert.match(shown.stdout, /^ {4}error: loading /m);
        });

        it("refuses to drill a bench where a site's database name starts with drill_", () => {
            const bench = b as Bench;
            const odd: Site = { name: "odd.example.com", db: "drill_live", dbPassword: "pwodd" };
            createSiteDatabase(server, odd);
            const config = {
                db_name: odd.db,
                db_password: odd.dbPassword,
                ...(engine === "postgres" ? { db_type: "postgres" } : {}),
            };
            writeSiteConfig(bench, odd, config, { db_host: "db", db_port: server.port });
            takeBackup(server, odd, { image: bench.image, network: bench.network, volume: bench.volume, stamp: STAMP });
            const before = fingerprint(server, odd);
            const r = drill(bench);
            assert.notEqual(r.status, 0);
            assert.match(
                r.stderr,
                /drill: refusing to run: the database of odd\.example\.com \(database drill_live\) starts with drill_/,
            );
            assert.doesNotMatch(r.stdout, /restored/);
            assert.equal(fingerprint(server, odd), before);
            assert.match(String(readStatus(bench, "erp.example.com").error), /^refused: /);
            assert.deepEqual(scratchDatabases(server), ["drill_live"]);
        });
    });
}
