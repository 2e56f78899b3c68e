import { strict as assert } from "assert";
import { readScript } from "../components/bench/scriptFiles";
import { byName, CapturedResource, containers, envOf, jobOf, jobs, labelsOf, ProgramRun, runProgram } from "./harness";
import { networksOfRole, scenario } from "./scenarios";

const IMAGE = "frappe/erpnext:v15.88.1";
const SITES_MOUNT = (stack: string) => ({
    containerPath: "/home/frappe/frappe-bench/sites",
    readOnly: false,
    volumeName: `frappe-${stack}-sites`,
});
const LOGS_MOUNT = (stack: string) => ({
    containerPath: "/home/frappe/frappe-bench/logs",
    readOnly: false,
    volumeName: `frappe-${stack}-logs`,
});

function c(run: ProgramRun, key: string): CapturedResource {
    return byName(run, `frappe-bench-${key}`);
}

/** Logical names of what a container directly depends on, without the `frappe-bench-` prefix. */
function deps(run: ProgramRun, key: string): string[] {
    return c(run, key).opts.dependsOn.map((d) => d.replace(/^frappe-bench-/, ""));
}

function dockerNames(run: ProgramRun): string[] {
    return containers(run)
        .map((r) => String(r.inputs.name))
        .sort();
}

function assertFrappeProcess(run: ProgramRun, stack: string, key: string, image: string) {
    const r = c(run, key);
    assert.equal(r.inputs.image, image, `${key} runs the bench image`);
    assert.deepEqual(r.inputs.volumes, [SITES_MOUNT(stack), LOGS_MOUNT(stack)], `${key} mounts sites and logs`);
    assert.deepEqual(r.inputs.logOpts, { "max-file": "5", "max-size": "10m" });
    assert.equal(r.inputs.logDriver, "json-file");
    assert.equal(labelsOf(r)["frappe.stack"], stack);
}

describe("bench on Docker (service by service)", () => {
    describe("1: MariaDB + Traefik over HTTP + one site", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(scenario("mariadb-traefik-one-site"));
            assert.equal(run.error, undefined, run.error?.message);
            assert.deepEqual(run.rejections, []);
        });

        it("deploys exactly the frappe_docker services plus the jobs, under the stack prefix", () => {
            assert.deepEqual(
                dockerNames(run),
                [
                    "backend",
                    "backup-cron",
                    "db",
                    "frontend",
                    "proxy",
                    "queue-long-1",
                    "queue-short-1",
                    "redis-cache",
                    "redis-queue",
                    "scheduler",
                    "websocket",
                ]
                    .map((n) => `frappe-staging-${n}`)
                    .sort(),
            );
            assert.deepEqual(
                jobs(run).map((j) => jobOf(run, j.name.replace(/^frappe-bench-/, "")).name),
                [
                    "db-upgrade",
                    "configurator",
                    "maintenance-on",
                    "pre-upgrade-backup",
                    "migrate",
                    "clear-cache",
                    "maintenance-off",
                    "sites",
                ].map((n) => `frappe-staging-${n}`),
            );
            for (const r of containers(run)) {
                const role = labelsOf(r)["frappe.role"];
                assert.ok(role, `${r.name} has a role label`);
                assert.equal(labelsOf(r)["frappe.stack"], "staging");
                assert.deepEqual(
                    (r.inputs.networksAdvanced as { name: string }[]).map((n) => n.name),
                    networksOfRole(role).map((k) => `frappe-staging-${k}`),
                    r.name,
                );
            }
        });

        it("runs MariaDB as frappe_docker does, with the password from a secret file", () => {
            const db = c(run, "db");
            assert.equal(db.inputs.image, "mariadb:11.8");
            assert.deepEqual(db.inputs.command, [
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
                "--skip-character-set-client-handshake",
            ]);
            assert.deepEqual(envOf(db), {
                MARIADB_AUTO_UPGRADE: "1",
                MARIADB_ROOT_PASSWORD_FILE: "/run/secrets/db-root-password",
            });
            assert.deepEqual(db.inputs.volumes, [
                { containerPath: "/var/lib/mysql", readOnly: false, volumeName: "frappe-staging-db-data" },
            ]);
            assert.deepEqual(db.inputs.healthcheck, {
                tests: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"],
                interval: "5s",
                timeout: "5s",
                startPeriod: "30s",
                retries: 5,
            });
            assert.deepEqual(db.inputs.uploads, [
                { file: "/run/secrets/db-root-password", content: "db-secret-1", owner: "0", permissions: "0444" },
            ]);
            assert.ok(db.secretPaths.includes("uploads"), "the uploaded password is a Pulumi secret");
            assert.equal(db.inputs.restart, "unless-stopped");
            assert.equal(db.inputs.wait, true);
            assert.equal(db.inputs.waitTimeout, 600);
            assert.equal(db.inputs.destroyGraceSeconds, 120);
            assert.deepEqual(db.inputs.ports, []);
            assert.deepEqual((db.inputs.networksAdvanced as { aliases: string[] }[])[0].aliases, ["db"]);
            assert.deepEqual(db.opts.replaceOnChanges, ["healthcheck"]);
            assert.equal(db.opts.deleteBeforeReplace, true);
        });

        it("runs Redis for cache (no persistence) and queue (persistent /data), never published", () => {
            const cache = c(run, "redis-cache");
            const queue = c(run, "redis-queue");
            assert.equal(cache.inputs.image, "redis:8.6-alpine");
            assert.deepEqual(cache.inputs.command, ["redis-server", "--save", "", "--appendonly", "no"]);
            assert.deepEqual(cache.inputs.volumes, []);
            assert.deepEqual(queue.inputs.command, ["redis-server", "--appendonly", "yes"]);
            assert.deepEqual(queue.inputs.volumes, [
                { containerPath: "/data", readOnly: false, volumeName: "frappe-staging-redis-queue-data" },
            ]);
            for (const r of [cache, queue]) {
                assert.deepEqual((r.inputs.healthcheck as { tests: string[] }).tests, ["CMD", "redis-cli", "ping"]);
                assert.deepEqual(r.inputs.ports, []);
                assert.equal(r.inputs.wait, true);
            }
        });

        it("configures the bench in a fail-fast job after the DB is healthy and Redis is up", () => {
            const conf = jobOf(run, "configurator");
            assert.equal(conf.image, IMAGE);
            assert.equal(conf.entrypoint, "bash");
            assert.deepEqual(conf.args, ["-c"]);
            // The script is a file the job reads when it runs; its parameters are env.
            assert.equal(conf.resource.inputs.create, "bash components/bench/scripts/run-job.sh");
            assert.equal(conf.script, readScript("configurator.sh").trimEnd());
            assert.match(conf.script, /\nset -euo pipefail\n[\s\S]*\nls -1 apps > sites\/apps.txt\n/);
            assert.equal(conf.network, "frappe-staging-data");
            assert.equal(
                (conf.resource.inputs.environment as Record<string, string>).FRAPPE_JOB_NETWORKS,
                "frappe-staging-bench",
            );
            assert.deepEqual(conf.volumes, [
                "frappe-staging-sites:/home/frappe/frappe-bench/sites",
                "frappe-staging-logs:/home/frappe/frappe-bench/logs",
            ]);
            assert.deepEqual(conf.labels, { "frappe.role": "configurator", "frappe.stack": "staging" });
            assert.deepEqual(conf.env, {
                DB_HOST: "db",
                DB_PORT: "3306",
                DB_ROOT_USER: "root",
                DB_TYPE: "mariadb",
                FRAPPE_IMAGE: IMAGE,
                FRAPPE_STACK: "staging",
                REDIS_AUTH: "0",
                REDIS_CACHE: "redis-cache:6379",
                REDIS_QUEUE: "redis-queue:6379",
                SOCKETIO_PORT: "9000",
                WORKERS_JSON: "{}",
            });
            assert.deepEqual(conf.secrets, {}, "MariaDB needs no password in the configurator");
            assert.deepEqual(conf.tmpfs, []);
            assert.equal(conf.resource.inputs.stdin, undefined);
            assert.deepEqual(conf.resource.opts.additionalSecretOutputs, ["stdout", "stderr"]);
            assert.equal(conf.resource.inputs.addPreviousOutputInEnv, false);
            assert.deepEqual(deps(run, "configurator"), ["db", "redis-cache", "redis-queue"]);
        });

        it("runs backend, websocket, workers and scheduler with frappe_docker's commands and env", () => {
            for (const key of ["backend", "websocket", "queue-short-1", "queue-long-1", "scheduler", "frontend"]) {
                assertFrappeProcess(run, "staging", key, IMAGE);
                assert.equal(c(run, key).inputs.restart, "unless-stopped");
            }
            const backend = c(run, "backend");
            // Stock frappe/erpnext images before frappe_docker 2c44349a hard-code these in CMD and ignore
            // GUNICORN_* (frappe/frappe_docker v3.2.0 images/production/Containerfile:156-167), so the
            // settings go in as gunicorn's own arguments; the env stays for images whose start.sh reads it.
            assert.deepEqual(backend.inputs.command, [
                "/home/frappe/frappe-bench/env/bin/gunicorn",
                "--chdir=/home/frappe/frappe-bench/sites",
                "--bind=0.0.0.0:8000",
                "--threads=4",
                "--workers=2",
                "--worker-class=gthread",
                "--worker-tmp-dir=/dev/shm",
                "--timeout=120",
                "--preload",
                "frappe.app:application",
            ]);
            assert.equal(backend.inputs.entrypoints, undefined, "the image's entrypoint (assets link) stays");
            assert.deepEqual(envOf(backend), {
                FRAPPE_CONFIG_RUN: "c0ffeefrappe-staging-configurator",
                GUNICORN_THREADS: "4",
                GUNICORN_TIMEOUT: "120",
                GUNICORN_WORKERS: "2",
            });
            // Every process that caches common_site_config.json is recreated whenever the configurator ran.
            for (const key of ["websocket", "queue-short-1", "queue-long-1", "scheduler"]) {
                assert.equal(envOf(c(run, key)).FRAPPE_CONFIG_RUN, "c0ffeefrappe-staging-configurator", key);
            }
            assert.equal(envOf(c(run, "frontend")).FRAPPE_CONFIG_RUN, undefined);
            // A site that exists now, not one the deploy has yet to create (test/engine/backendHealth.test.ts runs it).
            const ping = (backend.inputs.healthcheck as { tests: string[] }).tests;
            assert.equal(ping[0], "CMD-SHELL");
            assert.doesNotMatch(ping[1], /erp\.example\.com/);
            assert.match(ping[1], /\/api\/method\/ping\); \[ "\$code" = 200 \] \|\| \[ "\$code" = 503 \]/);
            assert.deepEqual(c(run, "websocket").inputs.command, [
                "node",
                "/home/frappe/frappe-bench/apps/frappe/socketio.js",
            ]);
            assert.deepEqual(c(run, "queue-short-1").inputs.command, ["bench", "worker", "--queue", "short,default"]);
            assert.deepEqual(c(run, "queue-long-1").inputs.command, [
                "bench",
                "worker",
                "--queue",
                "long,default,short",
            ]);
            assert.deepEqual(c(run, "scheduler").inputs.command, ["bench", "schedule"]);
            assert.equal(c(run, "queue-short-1").inputs.destroyGraceSeconds, 300);
            for (const key of ["queue-short-1", "queue-long-1"]) {
                assert.deepEqual((c(run, key).inputs.networksAdvanced as { aliases: string[] }[])[0].aliases, [
                    key.replace(/-1$/, ""),
                ]);
            }
        });

        it("routes Traefik (HTTP) to the frontend from its routes file, and no container sees the Docker socket", () => {
            const fe = c(run, "frontend");
            assert.deepEqual(fe.inputs.command, ["nginx-entrypoint.sh"]);
            assert.deepEqual(envOf(fe), {
                BACKEND: "backend:8000",
                CLIENT_MAX_BODY_SIZE: "50m",
                FRAPPE_SITE_NAME_HEADER: "$host",
                PROXY_READ_TIMEOUT: "120",
                SOCKETIO: "websocket:9000",
                // The edge network's subnet as the mock engine allocated it (bench.test "frontend real-IP trust").
                UPSTREAM_REAL_IP_ADDRESS: (
                    byName(run, "frappe-networks-edge").state.ipamConfigs as { subnet: string }[]
                )[0].subnet,
                UPSTREAM_REAL_IP_HEADER: "X-Forwarded-For",
                UPSTREAM_REAL_IP_RECURSIVE: "off",
            });
            assert.deepEqual(fe.inputs.ports, [], "behind Traefik the frontend is not published");
            assert.deepEqual(labelsOf(fe), { "frappe.role": "frontend", "frappe.stack": "staging" });
            const proxy = c(run, "proxy");
            assert.equal(proxy.inputs.image, "traefik:v3.6");
            assert.deepEqual(proxy.inputs.entrypoints, ["/bin/sh", "/etc/traefik/proxy-start.sh"]);
            assert.deepEqual(proxy.inputs.command, [
                "--providers.file.filename=/etc/traefik/dynamic.yml",
                "--entrypoints.web.address=:80",
                "--ping=true",
            ]);
            const uploads = proxy.inputs.uploads as { file: string; content: string; executable?: boolean }[];
            assert.deepEqual(
                uploads.map((u) => [u.file, u.executable]),
                [
                    ["/etc/traefik/dynamic.yml", false],
                    ["/etc/traefik/proxy-start.sh", true],
                ],
            );
            assert.match(uploads[0].content, /url: http:\/\/frontend:8080/);
            assert.deepEqual(proxy.inputs.ports, [{ internal: 80, external: 80 }]);
            assert.deepEqual(proxy.inputs.volumes ?? [], [], "no host path, no Docker socket");
            assert.equal(proxy.inputs.usernsMode, undefined);
            const hostPaths = containers(run).flatMap((r) =>
                ((r.inputs.volumes as { hostPath?: string }[]) ?? []).flatMap((v) => (v.hostPath ? [v.hostPath] : [])),
            );
            assert.deepEqual(hostPaths, []);
        });

        it("orders guard → DB/Redis → configurator → window jobs → app containers → frontend → proxy → sites", () => {
            assert.deepEqual(deps(run, "db"), ["db-upgrade"]);
            assert.deepEqual(deps(run, "maintenance-on"), ["configurator"]);
            assert.deepEqual(deps(run, "pre-upgrade-backup"), ["maintenance-on"]);
            assert.deepEqual(deps(run, "migrate"), ["pre-upgrade-backup"]);
            assert.deepEqual(deps(run, "clear-cache"), ["migrate"]);
            for (const key of ["backend", "websocket", "queue-short-1", "queue-long-1", "scheduler"]) {
                assert.deepEqual(deps(run, key), ["clear-cache"], key);
            }
            assert.deepEqual(deps(run, "frontend"), ["backend", "websocket"]);
            assert.deepEqual(deps(run, "proxy"), ["frontend"]);
            assert.deepEqual(deps(run, "maintenance-off"), [
                "backend",
                "websocket",
                "queue-short-1",
                "queue-long-1",
                "scheduler",
                "frontend",
            ]);
            assert.deepEqual(deps(run, "backup-cron"), ["maintenance-off"]);
            assert.deepEqual(deps(run, "sites"), ["maintenance-off"]);
        });

        it("gives every long-running container a canonical healthcheck replaced on change, and a grace period", () => {
            for (const r of containers(run)) {
                const hc = r.inputs.healthcheck as { tests: string[]; interval: string } | undefined;
                assert.ok(hc && hc.tests.length > 1, `${r.name} has a healthcheck`);
                assert.deepEqual(r.opts.replaceOnChanges, ["healthcheck"], r.name);
                assert.ok(Number(r.inputs.destroyGraceSeconds) >= 10, `${r.name} stops gracefully`);
                assert.equal(r.inputs.stopTimeout, r.inputs.destroyGraceSeconds);
                assert.equal(r.inputs.platform, undefined, "no platform is forced");
            }
        });

        it("creates protected, retained volumes and a bridge network, all under the stack prefix", () => {
            const volumes = run.resources.filter((r) => r.type === "docker:index/volume:Volume");
            assert.deepEqual(volumes.map((v) => v.inputs.name).sort(), [
                "frappe-staging-cert-data",
                "frappe-staging-db-data",
                "frappe-staging-logs",
                "frappe-staging-redis-queue-data",
                "frappe-staging-sites",
            ]);
            for (const v of volumes) {
                assert.equal(v.opts.protect, true, `${v.name} protected`);
                assert.equal(v.opts.retainOnDelete, true, `${v.name} retained`);
            }
            const net = run.resources.filter((r) => r.type === "docker:index/network:Network");
            assert.deepEqual(
                net.map((n) => [n.inputs.name, n.inputs.driver, n.inputs.internal]),
                [
                    ["frappe-staging-edge", "bridge", false],
                    ["frappe-staging-bench", "bridge", false],
                    // The data stores' network has no way out.
                    ["frappe-staging-data", "bridge", true],
                ],
            );
        });
    });

    describe("2: Postgres + HTTPS + three sites + custom worker counts", () => {
        let run: ProgramRun;
        const sites = ["a.example.com", "b.example.com", "c.example.com"];
        before(async () => {
            run = await runProgram(scenario("postgres-https-three-sites"));
            assert.equal(run.error, undefined, run.error?.message);
            assert.deepEqual(run.rejections, []);
        });

        it("runs every Frappe container on image:tag@digest", () => {
            const ref = `ghcr.io/acme/erp:v15.88.1@sha256:${"b".repeat(64)}`;
            for (const r of containers(run)) {
                const role = labelsOf(r)["frappe.role"];
                if (!["db", "redis-cache", "redis-queue", "proxy"].includes(role)) {
                    assert.equal(r.inputs.image, ref, r.name);
                }
            }
        });

        it("runs Postgres with pg_isready, its data dir and a restart policy", () => {
            const db = c(run, "db");
            assert.equal(db.inputs.image, "postgres:15.17");
            assert.equal(db.inputs.command, undefined);
            assert.deepEqual(envOf(db), { POSTGRES_PASSWORD_FILE: "/run/secrets/db-root-password" });
            assert.deepEqual(db.inputs.volumes, [
                { containerPath: "/var/lib/postgresql/data", readOnly: false, volumeName: "frappe-production-db-data" },
            ]);
            assert.deepEqual((db.inputs.healthcheck as { tests: string[] }).tests, [
                "CMD-SHELL",
                "pg_isready -U postgres",
            ]);
            assert.equal(db.inputs.restart, "unless-stopped");
        });

        it("keeps the Postgres superuser password out of common_site_config.json (new-site and restore get it as flags)", () => {
            // The configurator removes root_login/root_password from common_site_config.json for Postgres.
            const conf = jobOf(run, "configurator");
            assert.equal(conf.script, readScript("configurator.sh").trimEnd());
            assert.equal(conf.env.DB_TYPE, "postgres");
            assert.match(
                conf.script,
                /if \[ "\$\{DB_TYPE:-mariadb\}" = postgres \]; then\n[^\n]*\n\s*jq 'del\(\.root_login, \.root_password\)'/,
            );
            assert.doesNotMatch(conf.script, /root_password"?\]?=|set-config -g root_/);
            assert.equal(conf.env.DB_PORT, "5432");
            assert.equal(conf.env.DB_ROOT_USER, "postgres");
            assert.deepEqual(conf.secrets, {}, "the configurator gets no database password");
            assert.equal(conf.resource.inputs.stdin, undefined);
            assert.deepEqual(conf.tmpfs, []);
            const site = jobOf(run, "sites");
            assert.deepEqual(Object.keys(site.secrets), [
                "/run/secrets/db-root-password",
                "/run/secrets/admin-password",
            ]);
        });

        it("scales workers per queue (0 allowed) and keeps exactly one scheduler", () => {
            const roles = containers(run).map((r) => labelsOf(r)["frappe.role"]);
            assert.equal(roles.filter((r) => r === "queue-short").length, 3);
            assert.equal(roles.filter((r) => r === "queue-long").length, 0);
            assert.equal(roles.filter((r) => r === "scheduler").length, 1);
            assert.deepEqual(envOf(c(run, "backend")), {
                FRAPPE_CONFIG_RUN: "c0ffeefrappe-production-configurator",
                GUNICORN_THREADS: "2",
                GUNICORN_TIMEOUT: "300",
                GUNICORN_WORKERS: "5",
            });
            const args = c(run, "backend").inputs.command as string[];
            assert.deepEqual(
                args.filter((a) => /^--(workers|threads|timeout)=/.test(a)),
                ["--threads=2", "--workers=5", "--timeout=300"],
            );
        });

        it("serves HTTPS with Let's Encrypt, the redirect, the certificate volume and a rule for every site", () => {
            const proxy = c(run, "proxy");
            assert.deepEqual(proxy.inputs.command, [
                "--providers.file.filename=/etc/traefik/dynamic.yml",
                "--entrypoints.web.address=:80",
                "--ping=true",
                "--entrypoints.web.http.redirections.entrypoint.to=websecure",
                "--entrypoints.web.http.redirections.entrypoint.scheme=https",
                "--entrypoints.websecure.address=:443",
                "--certificatesresolvers.main-resolver.acme.httpchallenge=true",
                "--certificatesresolvers.main-resolver.acme.httpchallenge.entrypoint=web",
                "--certificatesresolvers.main-resolver.acme.email=ops@example.com",
                "--certificatesresolvers.main-resolver.acme.storage=/letsencrypt/acme.json",
            ]);
            assert.deepEqual(proxy.inputs.ports, [
                { internal: 80, external: 80 },
                { internal: 443, external: 8443 },
            ]);
            assert.deepEqual(proxy.inputs.volumes, [
                { containerPath: "/letsencrypt", readOnly: false, volumeName: "frappe-production-cert-data" },
            ]);
            assert.ok(envOf(proxy).CERT_DIR === "/letsencrypt", "the start script hands this directory to nobody");
            const routes = (proxy.inputs.uploads as { file: string; content: string }[])[0].content;
            assert.match(
                routes,
                /rule: Host\(`a\.example\.com`\) \|\| Host\(`b\.example\.com`\) \|\| Host\(`c\.example\.com`\)/,
            );
            assert.match(routes, /entryPoints:\n\s+- websecure/);
            assert.match(routes, /tls:\n\s+certResolver: main-resolver/);
            const cert = byName(run, "frappe-volumes-cert-data");
            assert.equal(cert.opts.protect, true);
        });

        it("creates the sites with Postgres flags in one job, after the sites reopened, outside the window", () => {
            const job = jobOf(run, "sites");
            assert.equal(
                job.resource.inputs.environment &&
                    (job.resource.inputs.environment as Record<string, string>).FRAPPE_JOB_SCRIPT,
                "sites.sh",
            );
            assert.equal(job.env.SITES, sites.map((s) => `${s}:erpnext`).join(" "));
            assert.equal(job.env.DEFAULT_SITE, sites[0]);
            assert.equal(job.env.DB_TYPE, "postgres");
            assert.match(job.script, /flags=\(--db-type postgres --db-root-username "\$DB_ROOT_USER"\)/);
            assert.deepEqual(deps(run, "sites"), ["maintenance-off"]);
            assert.deepEqual(deps(run, "clear-cache"), ["migrate"]);
        });
    });

    describe("3: external DB + external Redis + no proxy", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram(scenario("external-db-redis-no-proxy"));
            assert.equal(run.error, undefined, run.error?.message);
            assert.deepEqual(run.rejections, []);
        });

        it("runs no DB, Redis or proxy container (their volumes stay, protected, for a way back)", () => {
            const roles = containers(run).map((r) => labelsOf(r)["frappe.role"]);
            for (const role of ["db", "redis-cache", "redis-queue", "proxy"]) {
                assert.ok(!roles.includes(role), `no ${role}`);
            }
            assert.equal(run.resources.filter((r) => r.type === "docker:index/volume:Volume").length, 5);
        });

        it("points the configurator at the external hosts and starts it first", () => {
            const conf = jobOf(run, "configurator");
            assert.deepEqual(conf.env, {
                DB_HOST: "mariadb.internal",
                DB_PORT: "3307",
                DB_ROOT_USER: "root",
                DB_TYPE: "mariadb",
                FRAPPE_IMAGE: conf.image,
                FRAPPE_STACK: "staging",
                REDIS_AUTH: "0",
                REDIS_CACHE: "cache.internal:6379",
                REDIS_QUEUE: "queue.internal:6380",
                SOCKETIO_PORT: "9000",
                WORKERS_JSON: "{}",
            });
            assert.deepEqual(deps(run, "configurator"), []);
        });

        it("publishes the frontend itself on httpPort with the frontend settings from config", () => {
            const fe = c(run, "frontend");
            assert.deepEqual(fe.inputs.ports, [{ internal: 8080, external: 8081 }]);
            assert.deepEqual(envOf(fe), {
                BACKEND: "backend:8000",
                CLIENT_MAX_BODY_SIZE: "200m",
                FRAPPE_SITE_NAME_HEADER: "erp.example.com",
                PROXY_READ_TIMEOUT: "600",
                SOCKETIO: "websocket:9000",
                UPSTREAM_REAL_IP_ADDRESS: "10.0.0.0/8",
                UPSTREAM_REAL_IP_HEADER: "X-Real-IP",
                UPSTREAM_REAL_IP_RECURSIVE: "on",
            });
            assert.deepEqual(labelsOf(fe), { "frappe.role": "frontend", "frappe.stack": "staging" });
        });

        it("checks workers against the external queue Redis", () => {
            assert.deepEqual((c(run, "queue-short-1").inputs.healthcheck as { tests: string[] }).tests, [
                "CMD-SHELL",
                "tr '\\0' ' ' < /proc/1/cmdline | grep -q 'worker --queue short,default' && bash -c '</dev/tcp/queue.internal/6380'",
            ]);
        });

        it("generates the admin password when none is configured and exports no password", () => {
            const pw = run.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
            assert.deepEqual(
                pw.map((p) => p.name),
                ["frappe-admin-password"],
            );
            assert.equal(pw[0].opts.protect, true);
            assert.deepEqual(pw[0].inputs, { length: 32, special: false });
            // Not even as secrets: pulumi/actions v7.0.0 copies every stack output into step outputs.
            assert.deepEqual(
                Object.keys(run.outputs).filter((k) => /password/i.test(k)),
                [],
            );
        });
    });
});

describe("frontend real-IP trust", () => {
    it("trusts nobody without a proxy (frappe_docker's 127.0.0.1) and behind Traefik the edge network's subnet only", async () => {
        const direct = await runProgram(scenario("no-sites-no-proxy"));
        assert.equal(envOf(byName(direct, "frappe-bench-frontend")).UPSTREAM_REAL_IP_ADDRESS, "127.0.0.1");
        const proxied = await runProgram({ stack: "staging", config: { tag: "v15.88.1" } });
        // The subnet the engine allocated to the edge network (the mock engine's, from the network's state),
        // not Docker's whole private range: a container on another network cannot pass a forged address.
        const edge = byName(proxied, "frappe-networks-edge");
        const subnet = (edge.state.ipamConfigs as { subnet: string }[] | undefined)?.[0]?.subnet;
        assert.ok(subnet !== undefined && subnet !== "172.16.0.0/12", JSON.stringify(edge.state));
        assert.equal(envOf(byName(proxied, "frappe-bench-frontend")).UPSTREAM_REAL_IP_ADDRESS, subnet);
    });
});

describe("jobs and the Docker host", () => {
    it("run their docker run against docker:host, and only then set DOCKER_HOST", async () => {
        const remote = await runProgram(scenario("remote-docker-host"));
        assert.equal(remote.error, undefined, remote.error?.message);
        assert.ok(jobs(remote).length > 0);
        for (const j of jobs(remote)) {
            assert.equal((j.inputs.environment as Record<string, string>).DOCKER_HOST, "ssh://deploy@erp.example.com");
        }
        const local = await runProgram({ stack: "staging", config: { tag: "v15.88.1" } });
        for (const j of jobs(local)) {
            assert.equal((j.inputs.environment as Record<string, string>).DOCKER_HOST, undefined);
        }
    });
});

describe("external Redis with a password", () => {
    it("puts the URL-encoded password into the redis:// URLs from a secret, never into env or arguments", async () => {
        const run = await runProgram(scenario("external-redis-password"));
        assert.equal(run.error, undefined, run.error?.message);
        const conf = jobOf(run, "configurator");
        assert.equal(conf.script, `${readScript("secret-prelude.sh")}${readScript("configurator.sh")}`.trimEnd());
        assert.equal(conf.env.REDIS_AUTH, "1");
        // scripts.test.ts runs this jq edit and checks the URL encoding.
        assert.match(conf.script, /jq --rawfile pw "\$secrets\/redis-password"/);
        assert.deepEqual(conf.secrets, { "/run/secrets/redis-password": "r3dis/p@ss" });
        assert.equal(conf.stdinSecret, true);
        assert.doesNotMatch(String(conf.resource.inputs.create), /r3dis/);
        assert.doesNotMatch(JSON.stringify(conf.resource.inputs.environment), /r3dis/);
    });
});

describe("custom worker queues", () => {
    it("runs extra workers per custom queue and declares the queues in common_site_config", async () => {
        const run = await runProgram(scenario("workers-custom"));
        assert.equal(run.error, undefined, run.error?.message);
        for (const key of ["queue-reports-1", "queue-reports-2"]) {
            const w = c(run, key);
            assert.deepEqual(w.inputs.command, ["bench", "worker", "--queue", "reports,default"]);
            assert.deepEqual(labelsOf(w), {
                "frappe.queue": "reports",
                "frappe.role": "queue-custom",
                "frappe.stack": "staging",
            });
            assert.deepEqual((w.inputs.networksAdvanced as { aliases: string[] }[])[0].aliases, ["queue-reports"]);
            assert.equal(w.inputs.destroyGraceSeconds, 300);
        }
        assert.deepEqual(c(run, "queue-mail-1").inputs.command, ["bench", "worker", "--queue", "mail"]);
        assert.equal(
            jobOf(run, "configurator").env.WORKERS_JSON,
            '{"mail":{"timeout":1500},"reports":{"timeout":3600}}',
        );
        assert.match(jobOf(run, "configurator").script, /\nbench set-config -gp workers "\$\{WORKERS_JSON:\?/);
        assert.ok(deps(run, "maintenance-off").includes("queue-reports-2"));
        const plain = await runProgram({ stack: "staging", config: { tag: "v15.88.1" } });
        assert.equal(jobOf(plain, "configurator").env.WORKERS_JSON, "{}");
        const scaledDown = await runProgram(scenario("workers-custom-scaled-down"));
        assert.equal(jobOf(scaledDown, "configurator").env.WORKERS_JSON, "{}", "a queue nobody serves is not declared");
    });
});

describe("queues without a worker", () => {
    it("warns when no worker serves one of Frappe's queues, and says nothing otherwise", async () => {
        const none = await runProgram(scenario("workers-unserved-queue"));
        assert.deepEqual(none.warnings, [
            "No worker serves the queue(s) long (frappe:workers). Background jobs sent there are not run, and the next upgrade waits for them before migrating.",
        ]);
        const covered = await runProgram({
            stack: "staging",
            config: {
                tag: "v15.88.1",
                sites: [{ name: "erp.example.com" }],
                workers: { short: 1, long: 0, custom: [{ name: "slow", queues: ["long"] }] },
            },
        });
        assert.deepEqual(covered.warnings, []);
    });
});
