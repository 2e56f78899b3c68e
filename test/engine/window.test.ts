import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SITES_DIR } from "../../components/bench/layout";
import { JobSpec } from "../../components/bench/model/types";
import { JobScriptFile } from "../../components/bench/scriptFiles";
import { dockerName } from "../../components/conventions/naming";
import { debianImage } from "./debianImage";
import { cleanUp, docker, dockerOk, RUN_ID, TEST_LABEL } from "./engine";
import { JobWorld, runJob, withTestScript } from "./jobInvocation";

/*
 * Real-engine tier, issue 15 item 4: the backup that guards a migration holds every committed write.
 * Real containers on a real named volume: a web process that commits writes until its site is in
 * maintenance mode, a worker that finishes a queued background job (test/engine/fakes/app), and the
 * program's own job runner running the program's scripts (maintenance-on.sh, backup.sh, restore.sh)
 * with a stand-in bench whose database is a file (test/engine/fakes/bench), in the tier's Debian image
 * (test/engine/debianImage.ts: GNU find, flock, jq and Python, as the Frappe images have) with the
 * stand-ins copied in. In the order the program
 * uses (close, drain, then back up) every write made before the window closed is in the backup, and
 * the rollback path (restore.sh) brings it back; in the order it used before (back up, then close),
 * writes committed after the backup started are missing, which shows the test can fail.
 */

const STACK = `window-${RUN_ID}`;
const IMAGE = `frappe-pulumi-window-test:${RUN_ID}`;
const NETWORK = dockerName(STACK, "network");
const SITES_VOLUME = dockerName(STACK, "sites");
const TESTED = ["--label", `${TEST_LABEL}=${RUN_ID}`];
const FAKES = path.join(__dirname, "fakes");
const SITES_MOUNT = [{ volume: "sites" as const, containerPath: SITES_DIR }];
const WORLD: JobWorld = {
    stack: STACK,
    image: IMAGE,
    network: NETWORK,
    volumes: { sites: SITES_VOLUME },
    secrets: { dbPassword: "engine-db-root" },
};

/** A job running one of the program's own scripts, with the parameters its env takes. */
function programJob(key: string, script: JobScriptFile, env: Record<string, string>, secret = false): JobSpec {
    return {
        kind: "job",
        networks: ["bench"],
        key,
        role: "migrate",
        description: `engine window test ${key}`,
        image: { kind: "frappe" },
        script,
        helpers: [],
        params: { DB_ROOT_USER: "root", DRAIN_INTERVAL: "1", DRAIN_ATTEMPTS: "60", ...env },
        secretFiles: secret
            ? [{ secret: "dbPassword", path: "/run/secrets/db-root-password", owner: 1000, mode: "0400" }]
            : [],
        files: [],
        mounts: SITES_MOUNT,
        after: [],
        chainsLaterJobs: true,
        followsChain: true,
        rerunAfter: [],
        triggers: [],
    };
}

async function ok(spec: JobSpec): Promise<string> {
    const r = await runJob(spec, WORLD);
    assert.equal(r.code, 0, `${spec.key}: ${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

/** Runs a shell command in a throwaway container on the sites volume; returns its output. */
async function onVolume(key: string, command: string): Promise<string> {
    const out = await ok(withTestScript({ ...programJob(key, "migrate.sh", {}), description: key }, command));
    // Without the run token run-job.sh prints last.
    return out.replace(/^frappe-job-run: .*\n?/m, "");
}

function startApp(site: string, role: "web" | "worker", jobSeconds = 2): void {
    dockerOk([
        ...[
            "run",
            "-d",
            "--name",
            dockerName(STACK, `${role}-${site}`),
            ...TESTED,
            "--env",
            `JOB_SECONDS=${jobSeconds}`,
        ],
        ...["--network", NETWORK, "--volume", `${SITES_VOLUME}:${SITES_DIR}`, IMAGE, "app", role, site],
    ]);
}

function stopApps(site: string): void {
    for (const role of ["web", "worker"]) {
        docker(["rm", "-f", dockerName(STACK, `${role}-${site}`)]);
    }
}

/** A site with an empty database, its apps running, some writes committed and a background job queued. */
async function siteUnderLoad(site: string, jobSeconds = 2): Promise<void> {
    await onVolume(
        `make-${site}`,
        `mkdir -p sites/${site}/private/backups sites/${site}/queue && echo '{"db_name":"_x"}' > sites/${site}/site_config.json && : > sites/${site}/db.txt`,
    );
    startApp(site, "web");
    startApp(site, "worker", jobSeconds);
    await new Promise((r) => setTimeout(r, 1000));
    await onVolume(`enqueue-${site}`, `touch sites/${site}/queue/report`);
}

/**
 * IMAGE: the tier's shared Debian image with the stand-ins copied in (docker create, cp, commit: no build,
 * no registry), labelled for this run's clean-up.
 */
function derivedImage(base: string, files: readonly [string, string][]): void {
    // The tree as it goes into the image, copied in at once (docker cp creates no missing parents).
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), "window-image-"));
    const container = dockerOk(["create", ...TESTED, base, "true"]);
    try {
        for (const [from, to] of files) {
            fs.cpSync(path.join(FAKES, from), path.join(tree, to), { recursive: true });
        }
        dockerOk(["cp", `${tree}/.`, `${container}:/`]);
        dockerOk(["commit", "--change", `LABEL ${TEST_LABEL}=${RUN_ID}`, container, IMAGE]);
    } finally {
        docker(["rm", "-f", container]);
        fs.rmSync(tree, { recursive: true, force: true });
    }
}

const dumpOf = (site: string) =>
    onVolume(
        `dump-${site}`,
        // backup.sh writes each site's backups into sites/.backups/<site> (docs/backups.md).
        `f=$(ls sites/.backups/${site}/*-database.sql.gz | tail -n 1); gzip -cd "$f" | tail -n +2`,
    );
const dbOf = (site: string) => onVolume(`db-${site}`, `cat sites/${site}/db.txt`);

describe("real Docker engine: the guarding backup is taken after writes stopped", function () {
    this.timeout(600_000);
    let engine = false;

    before(function () {
        const base = debianImage(this);
        engine = true;
        derivedImage(base, [
            ["bench", "/usr/local/bin/bench"],
            ["app", "/usr/local/bin/app"],
            // restore.sh hands the password to Frappe in the bench's Python (frappe_cli, secret-prelude.sh).
            ["python", "/home/frappe/frappe-bench/env/bin/python"],
            ["frappe", "/opt/fake-frappe/frappe"],
        ]);
        dockerOk(["network", "create", "--driver", "bridge", ...TESTED, NETWORK]);
        dockerOk(["volume", "create", ...TESTED, SITES_VOLUME]);
    });

    after(function () {
        if (!engine) {
            return;
        }
        assert.deepEqual(cleanUp(STACK, IMAGE), [], "everything the test created is removed");
    });

    it("closes, drains, then backs up: every committed write is in the backup the rollback restores", async () => {
        const site = "erp.example.com";
        await siteUnderLoad(site);
        await ok(programJob("maintenance-on", "maintenance-on.sh", {}));
        await ok(
            programJob("pre-upgrade-backup", "backup.sh", {
                BACKUP_LABEL: "pre-upgrade-backup",
                BACKUP_WITH_FILES: "0",
            }),
        );
        const closed = await dbOf(site);
        stopApps(site);
        assert.match(closed, /^job report committed$/m, "the drained job committed before the backup");
        assert.match(closed, /^web write \d+$/m);
        assert.equal(await dumpOf(site), closed, "the backup holds every write the site committed");
        // The rollback path: whatever happened after the backup (a migration), restore.sh brings it back.
        await onVolume("after-backup", `echo 'migrated row' >> sites/${site}/db.txt`);
        const stamp = (await onVolume("stamp", `ls sites/.backups/${site} | sed -n 's/-.*//p' | tail -n 1`)).trim();
        await ok(
            programJob("restore", "restore.sh", { SITE: site, RESTORE_BACKUP: stamp, RESTORE_WITH_FILES: "0" }, true),
        );
        assert.equal(await dbOf(site), closed, "the restored database is the one the site had when it closed");
    });

    it("loses the writes committed after the backup started when it backs up before closing (the old order)", async () => {
        const site = "old-order.example.com";
        // A job long enough to be still running when the backup of this site starts.
        await siteUnderLoad(site, 8);
        await ok(programJob("old-backup", "backup.sh", { BACKUP_LABEL: "pre-upgrade-backup", BACKUP_WITH_FILES: "0" }));
        await ok(programJob("old-maintenance-on", "maintenance-on.sh", {}));
        const closed = await dbOf(site);
        stopApps(site);
        const dump = await dumpOf(site);
        assert.notEqual(dump, closed);
        assert.ok(closed.startsWith(dump), "the backup is an older state of the same database");
        assert.doesNotMatch(dump, /^job report committed$/m, "the job the drain waited for is not in the backup");
    });
});
