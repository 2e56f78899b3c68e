import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ADOPTED_VOLUMES_SCRIPT } from "../components/renderer/volumes";
import { containers, jobOf, jobs, ProgramRun, runProgram } from "./harness";

/** A frappe_docker compose project called `erpnext`, as `docker volume ls` shows its volumes. */
const COMPOSE_VOLUMES = {
    sites: "erpnext_sites",
    logs: "erpnext_logs",
    "db-data": "erpnext_db-data",
    "redis-queue-data": "erpnext_redis-queue-data",
    "cert-data": "erpnext_cert-data",
};
const SECRETS = { dbPassword: "the-compose-db-root-password", adminPassword: "Admin-Secret-91c2" };
const SITE = { name: "erp.example.com", apps: ["erpnext"] };
/** With HTTPS, so that the certificate volume is mounted too. */
const HTTPS = { type: "traefik", https: { email: "ops@example.com" } };

/** Every volume name a container or a job mounts, with where. */
function mounts(run: ProgramRun): { volume: string; path: string; by: string }[] {
    const out: { volume: string; path: string; by: string }[] = [];
    for (const c of containers(run)) {
        for (const v of (c.inputs.volumes as { volumeName?: string; containerPath: string }[] | undefined) ?? []) {
            if (v.volumeName !== undefined) {
                out.push({ volume: v.volumeName, path: v.containerPath, by: c.name });
            }
        }
    }
    for (const j of jobs(run).filter((r) => r.name.startsWith("frappe-bench-"))) {
        const view = jobOf(run, j.name.replace(/^frappe-bench-/, ""));
        for (const v of view.volumes) {
            const [volume, path] = v.split(":");
            out.push({ volume, path, by: j.name });
        }
    }
    return out;
}

function mountSet(run: ProgramRun): string[] {
    return [...new Set(mounts(run).map((m) => `${m.volume}:${m.path}`))].sort();
}

describe("frappe:volumes (existing Docker volumes, e.g. from frappe_docker)", () => {
    let own: ProgramRun;
    let adopted: ProgramRun;
    before(async () => {
        own = await runProgram({
            stack: "production",
            config: { tag: "v15.88.1", sites: [SITE], proxy: HTTPS },
            secrets: SECRETS,
        });
        adopted = await runProgram({
            stack: "production",
            config: { tag: "v15.88.1", sites: [SITE], proxy: HTTPS, volumes: COMPOSE_VOLUMES },
            secrets: SECRETS,
        });
        assert.equal(own.error, undefined, own.error?.message);
        assert.equal(adopted.error, undefined, adopted.error?.message);
        assert.deepEqual(adopted.rejections, []);
    });

    it("mounts exactly those names, where the stack's own volumes are mounted", () => {
        const ownNames: Record<string, string> = {
            "frappe-production-sites": "erpnext_sites",
            "frappe-production-logs": "erpnext_logs",
            "frappe-production-db-data": "erpnext_db-data",
            "frappe-production-redis-queue-data": "erpnext_redis-queue-data",
            "frappe-production-cert-data": "erpnext_cert-data",
        };
        const expected = mountSet(own).map((m) => {
            const [volume, path] = m.split(":");
            return `${ownNames[volume] ?? volume}:${path}`;
        });
        assert.deepEqual(mountSet(adopted), expected.sort());
        const used = new Set(mounts(adopted).map((m) => m.volume));
        assert.deepEqual([...used].sort(), Object.values(COMPOSE_VOLUMES).sort());
        assert.deepEqual(adopted.outputs.volumeNames.value, COMPOSE_VOLUMES);
    });

    it("registers no resource that could create, relabel, replace or delete them", () => {
        assert.deepEqual(
            adopted.resources.filter((r) => r.type === "docker:index/volume:Volume"),
            [],
            "no docker.Volume at all: a registered volume is the provider's to replace and delete",
        );
        // The only resource naming them apart from the mounts is the existence check, and it only inspects.
        const naming = adopted.resources.filter(
            (r) => r.custom && r.type !== "docker:index/container:Container" && !r.name.startsWith("frappe-bench-"),
        );
        const mentions = naming.filter((r) => JSON.stringify(r.inputs).includes("erpnext_"));
        assert.deepEqual(
            mentions.map((r) => r.name),
            ["frappe-volumes-adopted-check"],
        );
        const check = mentions[0];
        assert.equal(check.inputs.delete, undefined, "nothing runs on destroy");
        assert.equal(check.inputs.update, undefined);
        const code = String(check.inputs.create)
            .split("\n")
            .filter((l) => !/^\s*(#|echo|")/.test(l))
            .join("\n");
        const dockerCalls = code.match(/docker [a-z]+(?: [a-z]+)?/g);
        assert.deepEqual(dockerCalls, ["docker volume inspect", "docker ps"]);
        assert.match(
            String(check.inputs.create),
            /^name='frappe-production-adopted-volumes'\nstack='production'\nset -- 'erpnext_sites' 'erpnext_logs' 'erpnext_db-data' 'erpnext_redis-queue-data' 'erpnext_cert-data'\n/,
        );
    });

    it("creates the stack's own volumes for the keys it does not adopt", async () => {
        const some = await runProgram({
            stack: "production",
            config: {
                tag: "v15.88.1",
                sites: [SITE],
                volumes: { sites: "erpnext_sites", "db-data": "erpnext_db-data" },
            },
            secrets: SECRETS,
        });
        assert.equal(some.error, undefined, some.error?.message);
        const volumes = some.resources.filter((r) => r.type === "docker:index/volume:Volume");
        assert.deepEqual(volumes.map((v) => v.inputs.name).sort(), [
            "frappe-production-cert-data",
            "frappe-production-logs",
            "frappe-production-redis-queue-data",
        ]);
        assert.ok(volumes.every((v) => v.opts.protect && v.opts.retainOnDelete));
        assert.ok(mountSet(some).includes("erpnext_sites:/home/frappe/frappe-bench/sites"));
        assert.ok(mountSet(some).includes("erpnext_db-data:/var/lib/mysql"));
    });

    it("mounts nothing and runs no job when a named volume does not exist", async () => {
        const missing = await runProgram({
            stack: "production",
            config: { tag: "v15.88.1", sites: [SITE], volumes: { sites: "erpnext_sitse" } },
            secrets: SECRETS,
            exitCodes: { "frappe-production-adopted-volumes": 1 },
        });
        assert.ok(missing.error, "the deploy fails");
        assert.match(
            missing.error.message,
            /frappe-production-adopted-volumes: frappe:volumes names volume\(s\) that do not exist on this Docker host: erpnext_sitse\. Nothing was mounted or created/,
        );
        // Every volume name, the stack's own included, is read through the check: nothing that mounts starts.
        const started = containers(missing).filter((r) => r.registered);
        assert.ok(
            started.every((c) => ((c.inputs.volumes as unknown[] | undefined) ?? []).length === 0),
            started.map((c) => c.name).join(", "),
        );
        assert.deepEqual(
            jobs(missing).filter((r) => r.registered && r.name.startsWith("frappe-bench-")),
            [],
        );
    });

    it("refuses two keys naming one volume, and a db-data volume for an external database", async () => {
        const run = await runProgram({
            stack: "production",
            config: {
                tag: "v15.88.1",
                db: { type: "external", engine: "mariadb", host: "db.internal" },
                volumes: { sites: "erpnext_sites", logs: "erpnext_sites", "db-data": "erpnext_db-data" },
            },
        });
        const text = run.error?.message ?? "";
        assert.match(
            text,
            /frappe:volumes\.logs: got "erpnext_sites"; expected a volume not already named by volumes\.sites/,
        );
        assert.match(
            text,
            /frappe:volumes\.db-data: got "erpnext_db-data"; expected no db-data volume when db\.type is external/,
        );
        assert.deepEqual(run.resources, []);
    });
});

describe("the check of adopted volumes refuses volumes a running container of another project uses", () => {
    it("passes shellcheck", () => {
        const file = path.join(__dirname, "..", "components", "bench", "scripts", "adopted-volumes.sh");
        const r = spawnSync("shellcheck", [file], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    /** A Docker CLI whose volumes all exist and whose `ps --filter volume=V` prints the file `<dir>/V`. */
    function run(users: Record<string, string>) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adopted-ps-"));
        fs.writeFileSync(
            path.join(dir, "docker"),
            [
                "#!/bin/sh",
                'case "$1 $2" in',
                '"volume inspect") exit 0 ;;',
                '"ps --filter") f="$FAKE_PS_DIR/${3#volume=}"; if [ -f "$f" ]; then cat "$f"; fi ;;',
                '*) echo "unexpected $*" >&2; exit 98 ;;',
                "esac",
            ].join("\n"),
            { mode: 0o755 },
        );
        for (const [volume, lines] of Object.entries(users)) {
            fs.writeFileSync(path.join(dir, volume), lines);
        }
        return spawnSync("sh", ["-c", ADOPTED_VOLUMES_SCRIPT, "check", "erpnext_sites", "erpnext_db-data"], {
            encoding: "utf8",
            env: { PATH: `${dir}:${process.env.PATH ?? ""}`, FAKE_PS_DIR: dir, stack: "production" },
        });
    }

    it("fails while the compose project still runs, naming the containers", () => {
        const r = run({ "erpnext_db-data": "erpnext-db-1 \nerpnext-backup-1 \n" });
        assert.equal(r.status, 1);
        assert.equal(
            r.stderr,
            "adopted-volumes: frappe:volumes names volume(s) that running containers of another project use: " +
                "erpnext_db-data (used by erpnext-db-1 erpnext-backup-1). Stop them first " +
                "(docker compose -p <project> stop); nothing was mounted or created.\n",
        );
    });

    it("accepts the stack's own containers on a later run, and no user at all", () => {
        assert.equal(run({ "erpnext_db-data": "frappe-production-db production\n" }).status, 0);
        assert.equal(run({}).status, 0);
        assert.equal(run({ "erpnext_db-data": "frappe-staging-db staging\n" }).status, 1);
    });
});

describe("the existence check of adopted volumes, against the real Docker engine", () => {
    const volume = `frappe-test-adopted-${process.pid}`;
    let docker = true;
    before(function () {
        docker = spawnSync("docker", ["info"], { encoding: "utf8" }).status === 0;
        if (!docker) {
            this.skip();
        }
        assert.equal(spawnSync("docker", ["volume", "create", volume]).status, 0);
    });
    after(() => {
        if (docker) {
            spawnSync("docker", ["volume", "rm", volume]);
        }
    });

    it("passes for an existing volume and leaves it untouched", () => {
        const before = spawnSync("docker", ["volume", "inspect", volume], { encoding: "utf8" }).stdout;
        const r = spawnSync("sh", ["-c", ADOPTED_VOLUMES_SCRIPT, "check", volume], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, `adopted-volumes: found ${volume}\n`);
        assert.equal(spawnSync("docker", ["volume", "inspect", volume], { encoding: "utf8" }).stdout, before);
    });

    it("fails naming the missing volume, and creates nothing", () => {
        const absent = `${volume}-absent`;
        const r = spawnSync("sh", ["-c", ADOPTED_VOLUMES_SCRIPT, "check", volume, absent], { encoding: "utf8" });
        assert.equal(r.status, 1);
        assert.equal(
            r.stderr,
            `adopted-volumes: frappe:volumes names volume(s) that do not exist on this Docker host: ${absent}. ` +
                "Nothing was mounted or created. Check the names with: docker volume ls\n",
        );
        assert.notEqual(spawnSync("docker", ["volume", "inspect", absent]).status, 0);
    });

    it("reports an unreachable engine as such, not as a missing volume", () => {
        const r = spawnSync("sh", ["-c", ADOPTED_VOLUMES_SCRIPT, "check", volume], {
            encoding: "utf8",
            env: { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" },
        });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^adopted-volumes: cannot check volume .*: .*Cannot connect to the Docker daemon/);
    });
});
