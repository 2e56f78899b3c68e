import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SCRIPTS_DIR } from "../../components/bench/scriptFiles";
import { REPO_ROOT } from "../harness";
import { debianImage, removeRunObjects, RUN_LABEL } from "./debianImage";
import { docker, dockerOk, RUN_ID } from "./engine";

/*
 * Real-engine tier: the offsite copy with the real restic (Debian's package, in the tier's Debian
 * image) against a local repository. backup-cron's own run script backs up a sites volume three
 * times (pruning with our keep rule), the volume is lost, and the commands of docs/restore.md run as
 * they are written; every file must come back, with its content, mode, owner and mtime.
 *
 * The documented block runs in bash verbatim, with two shell functions standing in for what this
 * machine does not have: `pulumi` answers the stack's outputs and config (the test image, the
 * repository, the password), and `docker run` gets this run's volume name in place of
 * frappe-production-sites plus the repository volume mounted at /restic-repo (in production the
 * repository is S3, reached over the network).
 */

const SITES = `offsite-sites-${RUN_ID}`;
const REPO = `offsite-repo-${RUN_ID}`;
// The documented commands are for the stack `production`: the snapshots carry its tag (the repository is this run's own).
const STACK = "production";
const SITES_DIR = "/home/frappe/frappe-bench/sites";
const PASSWORD = "restic pass: with spaces";
const OFFSITE_STATUS = "sites/.backups/.status/offsite.json";

interface Snapshot {
    readonly id: string;
    readonly time: string;
    readonly paths: string[];
    readonly tags: string[];
}

/** The shell block after the marker comment in docs/restore.md. */
export function documentedBlock(doc: string, marker: RegExp): string {
    const at = doc.search(marker);
    assert.ok(at >= 0, `marker ${marker} not found in the document`);
    const block = /```sh\n([\s\S]*?)```/.exec(doc.slice(at));
    assert.ok(block, "no ```sh block after the marker");
    return block[1];
}

/** A manifest of every file and directory of the volume (assets excluded): path, type, mode, owner, size, mtime, sha256. */
function manifest(image: string): string {
    const script =
        `cd ${SITES_DIR} && find . -path ./assets -prune -o -printf '%p %y %m %U:%G %s %T@\\n' | sort > /tmp/m && ` +
        "find . -path ./assets -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum >> /tmp/m; cat /tmp/m";
    return dockerOk(["run", "--rm", ...RUN_LABEL, "-v", `${SITES}:${SITES_DIR}`, image, "bash", "-c", script]);
}

function populate(image: string): void {
    const script = [
        "set -e",
        "cd sites",
        'echo \'{"db_host":"db"}\' > common_site_config.json',
        "printf 'frappe\\nerpnext\\n' > apps.txt",
        "for s in erp.example.com crm.example.com; do",
        '  mkdir -p "$s/private/files" "$s/public/files" "$s/locks"',
        '  echo "{\\"db_name\\":\\"_$RANDOM\\"}" > "$s/site_config.json"; chmod 600 "$s/site_config.json"',
        '  head -c 200000 /dev/urandom > "$s/private/files/invoice 2026-01.pdf"',
        '  head -c 5000 /dev/urandom > "$s/public/files/logo.png"',
        '  touch -d "2024-02-29 12:34:56" "$s/public/files/logo.png"',
        "done",
        "mkdir -p assets/frappe && echo built > assets/frappe/app.js",
    ].join("\n");
    dockerOk(["run", "--rm", ...RUN_LABEL, "-v", `${SITES}:${SITES_DIR}`, image, "bash", "-c", script]);
}

/** backup-cron's run script, as the container runs it (the stand-in bench makes the site backups). */
function scheduledRun(image: string, secrets: string, repository = "/restic-repo") {
    return docker([
        "run",
        "--rm",
        ...RUN_LABEL,
        ...["-v", `${SITES}:${SITES_DIR}`, "-v", `${REPO}:/restic-repo`],
        ...[
            "-v",
            `${SCRIPTS_DIR}:/home/frappe/backup-cron:ro`,
            "-v",
            `${path.join(REPO_ROOT, "test", "fakebench")}:/opt/fakebench:ro`,
        ],
        ...["-v", `${secrets}:/run/secrets:ro`],
        ...["-e", "PATH=/opt/fakebench:/usr/bin:/bin", "-e", `RESTIC_REPOSITORY=${repository}`],
        ...["-e", "RESTIC_KEEP_LAST=2", "-e", `FRAPPE_STACK=${STACK}`, "-e", "BACKUP_KEEP_LAST=2"],
        image,
        "bash",
        "/home/frappe/backup-cron/backup-cron-run.sh",
    ]);
}

function restic(image: string, args: string): string {
    return dockerOk([
        "run",
        "--rm",
        ...RUN_LABEL,
        ...["-v", `${REPO}:/restic-repo`, "-e", "RESTIC_REPOSITORY=/restic-repo", "-e", `RESTIC_PASSWORD=${PASSWORD}`],
        image,
        "bash",
        "-c",
        `restic ${args}`,
    ]);
}

function loseVolume(image: string): void {
    dockerOk(["volume", "rm", SITES]);
    dockerOk(["volume", "create", ...RUN_LABEL, SITES]);
    assert.equal(manifest(image).trim().split("\n").length, 1, "only the empty volume's own directory");
}

/** Runs a shell block of the docs with the stand-ins for `pulumi` and `docker run` described above. */
function runDocumented(image: string, block: string) {
    const prelude = `
pulumi() {
  case "$*" in
    "stack output imageRef --stack production") echo "${image}" ;;
    "config get --path backup.offsite.repository --stack production") echo /restic-repo ;;
    "config get resticPassword --stack production") printf '%s\\n' "$TEST_RESTIC_PASSWORD" ;;
    "config get s3AccessKeyId --stack production" | "config get s3SecretAccessKey --stack production") echo unused ;;
    *) echo "pulumi stand-in: unexpected: $*" >&2; return 1 ;;
  esac
}
docker() {
  if [ "$1" != run ]; then command docker "$@"; return; fi
  shift
  local args=() a
  for a in "$@"; do args+=("\${a/#frappe-production-sites:/${SITES}:}"); done
  command docker run ${RUN_LABEL.join(" ")} -v ${REPO}:/restic-repo "\${args[@]}"
}
set -euo pipefail
`;
    return spawnSync("bash", ["--norc", "-c", prelude + block], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", TEST_RESTIC_PASSWORD: PASSWORD },
        timeout: 120_000,
    });
}

describe("real restic: the offsite copy restores where docs/restore.md says", function () {
    this.timeout(600_000);
    let image = "";
    let secrets = "";

    before(function () {
        image = debianImage(this);
        for (const v of [SITES, REPO]) {
            dockerOk(["volume", "create", ...RUN_LABEL, v]);
        }
        dockerOk([
            "run",
            "--rm",
            ...RUN_LABEL,
            "--user",
            "0",
            "-v",
            `${REPO}:/restic-repo`,
            image,
            "chown",
            "1000:1000",
            "/restic-repo",
        ]);
        secrets = fs.mkdtempSync(path.join(os.tmpdir(), "offsite-secrets-"));
        fs.chmodSync(secrets, 0o755);
        fs.writeFileSync(path.join(secrets, "restic-password"), PASSWORD, { mode: 0o644 });
        fs.writeFileSync(path.join(secrets, "s3-access-key-id"), "unused", { mode: 0o644 });
        fs.writeFileSync(path.join(secrets, "s3-secret-access-key"), "unused", { mode: 0o644 });
    });

    after(function () {
        if (image === "") {
            return;
        }
        fs.rmSync(secrets, { recursive: true, force: true });
        assert.deepEqual(removeRunObjects(), []);
    });

    /** sites/.backups/.status/offsite.json on the volume, or "" when there is none. */
    const statusFile = () =>
        docker(["run", "--rm", ...RUN_LABEL, "-v", `${SITES}:${SITES_DIR}`, image, "cat", OFFSITE_STATUS]).stdout;

    it("backs up with absolute paths, keeps RESTIC_KEEP_LAST snapshots, and the documented restore brings every file back", () => {
        populate(image);
        const statuses: string[] = [];
        for (let i = 0; i < 3; i++) {
            const run = scheduledRun(image, secrets);
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, /scheduled-backup: offsite copy in \/restic-repo done/);
            statuses.push(statusFile());
        }
        const snapshots = JSON.parse(restic(image, "snapshots --json")) as Snapshot[];
        assert.equal(snapshots.length, 2, "forget --prune kept the last 2 of 3");
        for (const s of snapshots) {
            assert.deepEqual(s.tags, ["frappe", STACK]);
        }

        const before = manifest(image);
        assert.match(before, /\.backups\/erp\.example\.com\/\d{8}_\d{6}-erp_example_com-database\.sql\.gz/);
        loseVolume(image);
        const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "restore.md"), "utf8");
        const block = documentedBlock(doc, /<!-- test\/engine\/offsite\.test\.ts runs the next block/);
        assert.equal((block.match(/docker run/g) ?? []).length, 1);
        const r = runDocumented(image, block);
        assert.equal(r.status, 0, r.stderr + r.stdout);
        // offsite.json is written after the copy it describes: the copy holds the run before's.
        const withoutStatus = (m: string) => m.split("\n").filter((l) => !l.includes("./.backups/.status"));
        assert.deepEqual(withoutStatus(manifest(image)), withoutStatus(before));
        assert.equal(statusFile(), statuses[1]);

        const listing = restic(image, "ls latest");
        assert.match(
            listing,
            /^\/home\/frappe\/frappe-bench\/sites\/erp\.example\.com\/private\/files\/invoice 2026-01\.pdf$/m,
        );
        assert.doesNotMatch(listing, /\/assets/, "assets are excluded");
        const status = JSON.parse(statuses[2]) as Record<string, unknown>;
        assert.deepEqual(Object.keys(status), ["finished", "ok", "snapshot", "error"]);
        assert.equal(status.ok, true);
        assert.equal(status.error, null);
        assert.match(String(status.finished), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        const newest = snapshots.reduce((a, b) => (a.time > b.time ? a : b));
        assert.equal(status.snapshot, newest.id, "offsite.json names the newest snapshot by its full ID");
    });

    it("records a failed offsite copy in offsite.json and fails the run (backup-cron turns unhealthy)", () => {
        const run = scheduledRun(image, secrets, "/nonexistent/repository");
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, /scheduled-backup: offsite copy in \/nonexistent\/repository FAILED/);
        const status = JSON.parse(statusFile()) as Record<string, unknown>;
        assert.equal(status.ok, false);
        assert.equal(status.snapshot, null);
        assert.match(String(status.error), /^restic failed: /);
    });

    it("restores a snapshot of the relative path `sites` (taken before this layout) with --target /home/frappe/frappe-bench, as documented", () => {
        dockerOk([
            "run",
            "--rm",
            ...RUN_LABEL,
            ...["-v", `${SITES}:${SITES_DIR}`, "-v", `${REPO}:/restic-repo`],
            ...["-e", "RESTIC_REPOSITORY=/restic-repo", "-e", `RESTIC_PASSWORD=${PASSWORD}`],
            image,
            "bash",
            "-c",
            "restic backup -q --tag frappe --tag old-layout --exclude sites/assets sites",
        ]);
        const before = manifest(image);
        loseVolume(image);
        const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "restore.md"), "utf8");
        assert.match(doc, /restore one of those with `--target \/home\/frappe\/frappe-bench` instead of `--target \/`/);
        dockerOk([
            "run",
            "--rm",
            ...RUN_LABEL,
            ...["-v", `${SITES}:${SITES_DIR}`, "-v", `${REPO}:/restic-repo`],
            ...["-e", "RESTIC_REPOSITORY=/restic-repo", "-e", `RESTIC_PASSWORD=${PASSWORD}`],
            image,
            "bash",
            "-c",
            "restic restore latest --tag frappe,old-layout --target /home/frappe/frappe-bench",
        ]);
        assert.equal(manifest(image), before);
    });
});
