import { strict as assert } from "assert";
import { shortDuration } from "../components/swarm/durations";
import { byName, CapturedResource, jobOf, jobs, ProgramRun, runProgram } from "./harness";
import { networkOptionsReplace, overlayOptionsRead } from "./providerRules";
import { networksOfRole } from "./scenarios";

/**
 * The acceptance scenario of issue 12 under the strict mocks: three sites, Postgres, HTTPS, on Swarm.
 * The same config without `frappe:swarm` is rendered too, to check that both come from one model.
 */

const SERVICE = "docker:index/service:Service";
const NFS = { type: "nfs", o: "addr=10.0.0.5,nfsvers=4,rw", device: ":/exports/frappe-sites" };
const BASE = {
    tag: "v15.88.1",
    sites: [{ name: "a.example.com", apps: ["erpnext"] }, { name: "b.example.com" }, { name: "c.example.com" }],
    db: { type: "postgres" },
    proxy: { type: "traefik", https: { email: "ops@example.com" } },
    workers: { short: 2, long: 1, custom: [{ name: "reports", queues: ["reports"], replicas: 3 }] },
    backup: { offsite: { repository: "s3:https://s3.example.com/bucket/erp" } },
};
const SECRETS = {
    dbPassword: "db-secret-1",
    adminPassword: "admin-secret-1",
    resticPassword: "restic-secret-1",
    s3AccessKeyId: "s3-id-secret-1",
    s3SecretAccessKey: "s3-key-secret-1",
};
const ROLES = [
    "db",
    "redis-cache",
    "redis-queue",
    "backend",
    "websocket",
    "queue-short",
    "queue-long",
    "queue-reports",
    "scheduler",
    "frontend",
    "proxy",
    "backup-cron",
];

type Obj = Record<string, unknown>;
const o = (v: unknown) => v as Obj;

function svc(run: ProgramRun, key: string): CapturedResource {
    const r = byName(run, `frappe-bench-${key}`);
    assert.equal(r.type, SERVICE, `${key} is a Swarm service`);
    return r;
}

function container(r: CapturedResource): Obj {
    return o(o(r.inputs.taskSpec).containerSpec);
}

function labels(list: unknown): Record<string, string> {
    return Object.fromEntries((list as { label: string; value: string }[]).map((l) => [l.label, l.value]));
}

/** The inputs with every value that arrived as a Pulumi secret blanked out. */
function withoutSecretPaths(inputs: Obj, secretPaths: readonly string[]): unknown {
    const copy = JSON.parse(JSON.stringify(inputs)) as Obj;
    for (const p of secretPaths) {
        const parts = p.split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== "");
        let cur: Obj = copy;
        for (const part of parts.slice(0, -1)) {
            cur = o(cur[part]);
        }
        cur[parts[parts.length - 1]] = "[secret]";
    }
    return copy;
}

function swarmRun(config: Obj = {}, more: Partial<Parameters<typeof runProgram>[0]> = {}): Promise<ProgramRun> {
    return runProgram({
        stack: "staging",
        config: { ...BASE, swarm: { sitesVolume: { options: NFS } }, ...config },
        secrets: SECRETS,
        ...more,
    });
}

describe("jobs that look at the running stack on a Swarm", () => {
    it("find the database server and the backend as Swarm services", async () => {
        const run = await swarmRun();
        const guard = jobOf(run, "db-upgrade").resource.inputs.environment as Record<string, string>;
        assert.deepEqual(
            [guard.DBGUARD_KIND, guard.DBGUARD_NAME, guard.FRAPPE_JOB_IMAGE_FROM],
            ["service", "frappe-staging-db", "service frappe-staging-backend"],
        );
        const sites = jobOf(run, "sites").resource.inputs.environment as Record<string, string>;
        assert.equal(sites.FRAPPE_JOB_IMAGE_FROM, "service frappe-staging-backend");
    });
});

describe("bench on Docker Swarm (issue 12 acceptance: three sites, Postgres, HTTPS)", () => {
    let run: ProgramRun;
    let host: ProgramRun;
    before(async () => {
        [run, host] = [await swarmRun(), await runProgram({ stack: "staging", config: BASE, secrets: SECRETS })];
        for (const r of [run, host]) {
            assert.equal(r.error, undefined, r.error?.message);
            assert.deepEqual(r.rejections, []);
        }
    });

    it("runs every role as one service named with the stack prefix, and no container", () => {
        const services = run.resources.filter((r) => r.custom && r.type === SERVICE);
        assert.deepEqual(services.map((r) => r.inputs.name).sort(), ROLES.map((k) => `frappe-staging-${k}`).sort());
        assert.equal(run.resources.filter((r) => r.type === "docker:index/container:Container").length, 0);
    });

    it("gives each role its replicas; exactly one scheduler, one database, one proxy", () => {
        const replicas = Object.fromEntries(ROLES.map((k) => [k, o(o(svc(run, k).inputs.mode).replicated).replicas]));
        assert.deepEqual(replicas, {
            db: 1,
            "redis-cache": 1,
            "redis-queue": 1,
            backend: 2,
            websocket: 1,
            "queue-short": 2,
            "queue-long": 1,
            "queue-reports": 3,
            scheduler: 1,
            frontend: 2,
            proxy: 1,
            "backup-cron": 1,
        });
    });

    it("rolls web services start-first and the scheduler, database, Redis and proxy stop-first; a failed update pauses the bench's services and rolls back the others", () => {
        for (const key of ROLES) {
            const r = svc(run, key);
            const update = o(r.inputs.updateConfig);
            const rollback = o(r.inputs.rollbackConfig);
            const expected =
                ["backend", "frontend", "websocket"].includes(key) || key.startsWith("queue-")
                    ? "start-first"
                    : "stop-first";
            assert.equal(update.order, expected, `${key} update order`);
            assert.equal(rollback.order, expected, `${key} rollback order`);
            assert.deepEqual(
                { ...update, order: undefined },
                {
                    parallelism: 1,
                    delay: "10s",
                    monitor: "30s",
                    maxFailureRatio: "0.0",
                    // After this deploy's migration, a rollback would run the previous release on the new schema.
                    failureAction: ["db", "redis-cache", "redis-queue", "proxy"].includes(key) ? "rollback" : "pause",
                    order: undefined,
                },
                key,
            );
            assert.equal(rollback.failureAction, "pause");
            assert.equal(o(r.inputs.convergeConfig).delay, "7s", `${key} waits for convergence`);
            assert.match(String(o(r.inputs.convergeConfig).timeout), /^\d+m(\d+s)?$|^\d+s$/);
        }
    });

    it("pins db and Redis and the proxy by placement.* and lets the bench run anywhere", () => {
        for (const key of ROLES) {
            const placement = o(svc(run, key).inputs.taskSpec).placement as Obj | undefined;
            const pinned = ["db", "redis-cache", "redis-queue", "proxy"].includes(key);
            assert.deepEqual(placement, pinned ? { constraints: ["node.role == manager"] } : undefined, key);
        }
    });

    it("runs the same images, commands, env and healthchecks as on one host (one model)", () => {
        for (const key of ROLES.filter((k) => !k.startsWith("queue-"))) {
            const c = container(svc(run, key));
            const h = byName(host, `frappe-bench-${key}`).inputs;
            assert.equal(c.image, h.image, `${key} image`);
            assert.deepEqual(c.commands, h.entrypoints, `${key} entrypoint`);
            const hostEnv = Object.fromEntries(
                (h.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
            );
            if (key === "frontend") {
                // Behind Traefik nginx trusts the edge network's subnet, the one each engine allocated: a
                // bridge's on one host, the overlay's on Swarm.
                const subnet = (r: ProgramRun) =>
                    (byName(r, "frappe-networks-edge").state.ipamConfigs as Obj[])[0].subnet;
                assert.equal(hostEnv.UPSTREAM_REAL_IP_ADDRESS, subnet(host));
                assert.equal(o(c.env).UPSTREAM_REAL_IP_ADDRESS, subnet(run));
                assert.match(String(subnet(run)), /^10\.0\.\d+\.0\/24$/);
                hostEnv.UPSTREAM_REAL_IP_ADDRESS = String(subnet(run));
            }
            assert.deepEqual(c.env, hostEnv, `${key} env`);
            const hc = o(h.healthcheck);
            assert.deepEqual(o(c.healthcheck).tests, hc.tests, `${key} healthcheck`);
            assert.equal(o(c.healthcheck).retries, hc.retries);
        }
        for (const [key, replicas] of [
            ["queue-short", 2],
            ["queue-long", 1],
            ["queue-reports", 3],
        ] as const) {
            const h = byName(host, `frappe-bench-${key}-1`).inputs;
            assert.deepEqual(container(svc(run, key)).args, h.command, `${key} command`);
            assert.equal(
                host.resources.filter((r) => r.custom && String(r.name).startsWith(`frappe-bench-${key}-`)).length,
                replicas,
            );
        }
        assert.deepEqual(container(svc(run, "backend")).healthcheck, {
            tests: o(byName(host, "frappe-bench-backend").inputs.healthcheck).tests,
            interval: "10s",
            timeout: "5s",
            startPeriod: shortDuration(60),
            retries: 5,
        });
    });

    it("puts every service on the attachable, encrypted overlay networks of what it talks to, by id, under frappe_docker's names", () => {
        const nets = run.resources.filter((r) => r.type === "docker:index/network:Network");
        assert.deepEqual(
            nets.map((n) => [n.name, n.inputs.name, n.inputs.driver, n.inputs.attachable, n.inputs.internal]),
            [
                ["frappe-networks-edge", "frappe-staging-edge", "overlay", true, false],
                ["frappe-networks-bench", "frappe-staging-bench", "overlay", true, false],
                ["frappe-networks-data", "frappe-staging-data", "overlay", true, true],
            ],
        );
        for (const n of nets) {
            assert.deepEqual(n.inputs.options, { encrypted: "true" }, n.name);
            // Swarm adds the VNI to the options the provider reads back: without ignoreChanges every run
            // would plan a replacement (providerRules.ts networkOptionsReplace).
            assert.deepEqual(n.opts.ignoreChanges, ["options"], n.name);
            assert.equal(networkOptionsReplace(overlayOptionsRead({ encrypted: "true" }), { encrypted: "true" }), true);
            assert.equal(
                networkOptionsReplace(
                    overlayOptionsRead({ encrypted: "true" }),
                    { encrypted: "true" },
                    n.opts.ignoreChanges,
                ),
                false,
            );
        }
        for (const key of ROLES) {
            const joined = o(svc(run, key).inputs.taskSpec).networksAdvanceds as Obj[];
            const want = networksOfRole(key);
            assert.deepEqual(
                joined.map((n) => n.id),
                want.map((k) => `frappe-networks-${k}-id`),
                key,
            );
            for (const n of joined) {
                assert.deepEqual(n.aliases, [key], key);
            }
        }
    });

    it("names unencrypted overlays apart, so that switching encryption moves the services to new networks", async () => {
        const clear = await swarmRun({ swarm: { sitesVolume: { options: NFS }, encryptOverlay: false } });
        assert.equal(clear.error, undefined, clear.error?.message);
        const nets = clear.resources.filter((r) => r.type === "docker:index/network:Network");
        assert.deepEqual(
            nets.map((n) => [n.inputs.name, n.inputs.options]),
            [
                ["frappe-staging-edge-unencrypted", undefined],
                ["frappe-staging-bench-unencrypted", undefined],
                ["frappe-staging-data-unencrypted", undefined],
            ],
        );
        assert.equal(jobOf(clear, "migrate").network, "frappe-staging-data-unencrypted");
    });

    it("mounts the shared sites volume with its driver options wherever sites are used", () => {
        const sitesUsers = ROLES.filter((k) => !["db", "redis-cache", "redis-queue", "proxy"].includes(k));
        for (const key of sitesUsers) {
            const sites = (container(svc(run, key)).mounts as Obj[]).find(
                (m) => m.target === "/home/frappe/frappe-bench/sites",
            );
            assert.deepEqual(
                sites,
                {
                    type: "volume",
                    source: "frappe-staging-sites",
                    target: "/home/frappe/frappe-bench/sites",
                    readOnly: false,
                    volumeOptions: { driverName: "local", driverOptions: NFS },
                },
                key,
            );
        }
        const volume = byName(run, "frappe-volumes-sites");
        assert.deepEqual([volume.inputs.driver, volume.inputs.driverOpts], ["local", NFS]);
        assert.equal(volume.opts.protect, true);
        const dbData = (container(svc(run, "db")).mounts as Obj[])[0];
        assert.deepEqual(dbData, {
            type: "volume",
            source: "frappe-staging-db-data",
            target: "/var/lib/postgresql/data",
            readOnly: false,
        });
    });

    it("labels services and their containers with stack and role, and nothing for Traefik", () => {
        for (const key of ROLES) {
            const r = svc(run, key);
            const role = key === "queue-reports" ? "queue-custom" : key;
            assert.equal(labels(r.inputs.labels)["frappe.role"], role);
            assert.deepEqual(labels(container(r).labels), { "frappe.role": role, "frappe.stack": "staging" });
        }
        const front = labels(svc(run, "frontend").inputs.labels);
        assert.deepEqual(
            Object.keys(front).filter((k) => k.startsWith("traefik.")),
            [],
        );
    });

    it("runs Traefik from its routes file as on one host, HTTPS and the redirect, on host ports, without the socket", () => {
        const proxy = svc(run, "proxy");
        const args = container(proxy).args as string[];
        assert.deepEqual(args, container(proxy).args);
        assert.deepEqual(args, byName(host, "frappe-bench-proxy").inputs.command, "the same arguments as on one host");
        assert.ok(args.includes("--providers.file.filename=/etc/traefik/dynamic.yml"));
        assert.ok(args.includes("--entrypoints.web.http.redirections.entrypoint.to=websecure"));
        assert.equal(args.filter((a) => /^--providers\.(docker|swarm)/.test(a)).length, 0);
        assert.deepEqual(o(proxy.inputs.endpointSpec).ports, [
            { targetPort: 80, publishedPort: 80, protocol: "tcp", publishMode: "host" },
            { targetPort: 443, publishedPort: 443, protocol: "tcp", publishMode: "host" },
        ]);
        assert.deepEqual(
            (container(proxy).mounts as Obj[]).filter((m) => m.type === "bind"),
            [],
        );
        assert.deepEqual(
            (container(proxy).configs as Obj[]).map((c) => c.fileName),
            ["/etc/traefik/dynamic.yml", "/etc/traefik/proxy-start.sh"],
        );
    });

    it("mounts secrets as Swarm secrets where the containers read them, values only as Pulumi secrets", () => {
        const secrets = run.resources.filter((r) => r.custom && r.type === "docker:index/secret:Secret");
        assert.deepEqual(secrets.map((s) => s.name).sort(), [
            "frappe-bench-secrets-db-password",
            "frappe-bench-secrets-restic-password",
            "frappe-bench-secrets-s3-access-key-id",
            "frappe-bench-secrets-s3-secret-access-key",
        ]);
        for (const s of secrets) {
            assert.deepEqual([...new Set(s.secretPaths)], ["data"], `${s.name} data is a Pulumi secret`);
            assert.equal(s.inputs.name, undefined, "autonamed: a new value is a new secret next to the old one");
            assert.ok(s.opts.additionalSecretOutputs.includes("data"), "data stays secret in state");
        }
        const db = byName(run, "frappe-bench-secrets-db-password");
        assert.equal(Buffer.from(String(db.inputs.data), "base64").toString("utf8"), "db-secret-1");
        assert.deepEqual(container(svc(run, "db")).secrets, [
            {
                secretId: "frappe-bench-secrets-db-password-id",
                secretName: db.state.name,
                fileName: "/run/secrets/db-root-password",
                fileUid: "0",
                fileGid: "0",
                fileMode: 0o444,
            },
        ]);
        const cron = (container(svc(run, "backup-cron")).secrets as Obj[]).map((s) => [
            s.fileName,
            s.fileUid,
            s.fileMode,
        ]);
        assert.deepEqual(cron, [
            ["/run/secrets/restic-password", "1000", 0o400],
            ["/run/secrets/s3-access-key-id", "1000", 0o400],
            ["/run/secrets/s3-secret-access-key", "1000", 0o400],
        ]);
        const values = Object.values(SECRETS).flatMap((v) => [v, Buffer.from(v).toString("base64")]);
        for (const r of run.resources.filter((x) => x.custom)) {
            const plain = JSON.stringify(withoutSecretPaths(r.inputs, r.secretPaths));
            for (const v of values) {
                assert.ok(!plain.includes(v), `${r.name} carries a secret value outside a Pulumi secret`);
            }
        }
    });

    it("hands backup-cron its files as Swarm configs, where and as it reads them on one host", () => {
        const configs = run.resources.filter((r) => r.custom && r.type === "docker:index/serviceConfig:ServiceConfig");
        const hostFiles = (byName(host, "frappe-bench-backup-cron").inputs.uploads as Obj[]).filter(
            (u) => !String(u.file).startsWith("/run/secrets/"),
        );
        const refs = container(svc(run, "backup-cron")).configs as Obj[];
        const proxyFiles = (container(svc(run, "proxy")).configs as Obj[]).length;
        assert.equal(configs.length, hostFiles.length + proxyFiles, "backup-cron's files and the proxy's");
        assert.deepEqual(refs.map((c) => c.fileName).sort(), hostFiles.map((u) => u.file).sort());
        for (const c of configs.filter((x) => !x.name.includes("-proxy-"))) {
            const text = Buffer.from(String(c.inputs.data), "base64").toString("utf8");
            assert.ok(
                hostFiles.some((u) => u.content === text),
                "the same file content as on one host",
            );
        }
        assert.ok(refs.every((c) => c.fileUid === "1000" && (c.fileMode === 0o555 || c.fileMode === 0o444)));
    });

    it("runs the jobs in the same order, gated the same way, on the overlay network with the shared sites volume", () => {
        const PREFLIGHT = "frappe-bench-swarm-preflight";
        const names = (r: ProgramRun) => jobs(r).map((j) => j.name);
        assert.deepEqual(
            names(run).filter((n) => n !== PREFLIGHT),
            names(host),
        );
        const strip = (d: string[]) =>
            d.map((x) => x.replace(/^frappe-bench-/, "").replace(/^(queue-[a-z]+)-\d+$/, "$1")).sort();
        for (const j of jobs(run).filter((x) => x.name !== PREFLIGHT)) {
            assert.deepEqual(
                [...new Set(strip(j.opts.dependsOn))].filter((d) => d !== "swarm-preflight"),
                [...new Set(strip(jobs(host).find((h) => h.name === j.name)?.opts.dependsOn ?? []))],
                j.name,
            );
        }
        const migrate = jobOf(run, "migrate");
        assert.equal(migrate.network, "frappe-staging-data");
        assert.equal(
            (migrate.resource.inputs.environment as Record<string, string>).FRAPPE_JOB_NETWORKS,
            "frappe-staging-bench",
        );
        assert.deepEqual(migrate.volumes, ["frappe-staging-logs:/home/frappe/frappe-bench/logs"]);
        assert.deepEqual(migrate.mounts, [
            'type=volume,source=frappe-staging-sites,target=/home/frappe/frappe-bench/sites,volume-driver=local,volume-opt=device=:/exports/frappe-sites,"volume-opt=o=addr=10.0.0.5,nfsvers=4,rw",volume-opt=type=nfs',
        ]);
        assert.deepEqual(svc(run, "backend").opts.dependsOn, ["frappe-bench-clear-cache"]);
        assert.deepEqual(byName(run, "frappe-bench-maintenance-off").opts.dependsOn.sort(), [
            "frappe-bench-backend",
            "frappe-bench-frontend",
            "frappe-bench-queue-long",
            "frappe-bench-queue-reports",
            "frappe-bench-queue-short",
            "frappe-bench-scheduler",
            "frappe-bench-websocket",
        ]);
    });

    it("checks before the configurator that db and Redis answer by name on the overlay (issue 19 item 2)", () => {
        const preflight = jobOf(run, "swarm-preflight");
        assert.deepEqual(preflight.resource.opts.dependsOn.sort(), [
            "frappe-bench-db",
            "frappe-bench-redis-cache",
            "frappe-bench-redis-queue",
        ]);
        assert.ok(byName(run, "frappe-bench-configurator").opts.dependsOn.includes("frappe-bench-swarm-preflight"));
        // On the data network, where db and Redis are; and the bench network, as every client of them.
        assert.equal(preflight.network, "frappe-staging-data");
        assert.equal(
            (preflight.resource.inputs.environment as Record<string, string>).FRAPPE_JOB_NETWORKS,
            "frappe-staging-bench",
        );
        assert.deepEqual([preflight.mounts, preflight.volumes], [[], []]);
        assert.deepEqual(
            [preflight.env.PREFLIGHT_TARGETS, preflight.env.ENDPOINT_MODE],
            ["db:5432 redis-cache:6379 redis-queue:6379", "vip"],
        );
        assert.match(preflight.script, /^# Job: check that the services answer by name/m);
        // It never changes a site: its runs re-run nothing after it.
        assert.ok(
            !(byName(run, "frappe-bench-maintenance-off").inputs.triggers as string[]).some((t) =>
                t.includes("preflight"),
            ),
        );
    });

    it("renders frappe:swarm.endpointMode on every service; dnsrr publishes in host mode and checks the frontend through nginx", async () => {
        for (const key of ROLES) {
            assert.equal(o(svc(run, key).inputs.endpointSpec).mode, "vip", key);
        }
        const rr = await swarmRun({ swarm: { sitesVolume: { options: NFS }, endpointMode: "dnsrr" } });
        assert.equal(rr.error, undefined, rr.error?.message);
        assert.deepEqual(rr.rejections, []);
        for (const key of ROLES) {
            const ep = o(svc(rr, key).inputs.endpointSpec);
            assert.equal(ep.mode, "dnsrr", key);
            for (const p of (ep.ports as Obj[] | undefined) ?? []) {
                assert.equal(p.publishMode, "host", `${key} publishes ${String(p.publishedPort)} in host mode`);
            }
        }
        assert.equal(jobOf(rr, "swarm-preflight").env.ENDPOINT_MODE, "dnsrr");
        // nginx resolves its upstreams once: on dnsrr the frontend is healthy only while it reaches one.
        const health = (r: ProgramRun) => o(container(svc(r, "frontend")).healthcheck).tests as string[];
        assert.deepEqual(health(run), ["CMD-SHELL", "bash -c '</dev/tcp/127.0.0.1/8080'"]);
        assert.match(health(rr)[1], /http:\/\/127\.0\.0\.1:8080\/api\/method\/ping.*!= 502/);
    });

    it("reopens the sites only through Swarm's gate, which waits for every app service's rollout (issue 19 item 1)", async () => {
        const off = jobOf(run, "maintenance-off");
        const env = off.resource.inputs.environment as Record<string, string>;
        assert.deepEqual(
            {
                script: env.GATE_SCRIPT,
                stack: env.GATE_STACK,
                roles: env.GATE_ROLES.split(" ").sort(),
                expect: env.GATE_EXPECT.split(" ").sort(),
            },
            {
                script: "swarm-gate.sh",
                stack: "staging",
                roles: ["backend", "frontend", "queue-custom", "queue-long", "queue-short", "scheduler", "websocket"],
                expect: [
                    "frappe-staging-backend",
                    "frappe-staging-frontend",
                    "frappe-staging-scheduler",
                    "frappe-staging-websocket",
                ],
            },
        );
        assert.ok(Number(env.GATE_TIMEOUT) >= 300, env.GATE_TIMEOUT);
        // Under the mocks the gate runs against test/fakebin/docker's services: a paused update keeps the sites closed.
        const paused = await swarmRun({}, { updateStatus: { "frappe-staging-backend": "paused" } });
        assert.match(String(paused.error?.message), /swarm gate: frappe-staging-backend: its update is paused/);
        assert.match(String(paused.error?.message), /The sites stay in maintenance mode/);
        assert.equal(
            paused.resources.find((r) => r.custom && r.name === "frappe-bench-backup-cron")?.registered,
            false,
        );
        const rolledBack = await swarmRun({}, { updateStatus: { "frappe-staging-queue-long": "rollback_completed" } });
        assert.match(String(rolledBack.error?.message), /frappe-staging-queue-long: its update was rolled back/);
    });

    it("stops at a failed migration: nothing after it is deployed, the sites stay in maintenance", async () => {
        const failed = await swarmRun({}, { exitCodes: { "frappe-staging-migrate": 1 } });
        assert.match(String(failed.error?.message), /Job migrate/);
        const registered = (key: string) =>
            failed.resources.some((r) => r.custom && r.name === `frappe-bench-${key}` && r.registered);
        assert.equal(registered("db"), true);
        for (const key of ["backend", "frontend", "scheduler", "maintenance-off", "site-a.example.com"]) {
            assert.equal(registered(key), false, key);
        }
    });

    it("takes placement, replicas and the update policy from frappe:swarm", async () => {
        const custom = await swarmRun({
            swarm: {
                sitesVolume: { options: NFS },
                replicas: { backend: 4, frontend: 3, websocket: 2 },
                placement: {
                    db: ["node.hostname == db1"],
                    redis: ["node.labels.frappe.redis == true"],
                    proxy: ["node.hostname == edge1"],
                },
                update: { parallelism: 2, delay: "1m", monitor: "1m30s", order: "stop-first" },
            },
        });
        assert.equal(custom.error, undefined, custom.error?.message);
        assert.deepEqual(custom.rejections, []);
        assert.deepEqual(
            custom.warnings.filter((w) => w.includes("placement")),
            [],
        );
        const replicas = (k: string) => o(o(svc(custom, k).inputs.mode).replicated).replicas;
        assert.deepEqual(
            [replicas("backend"), replicas("frontend"), replicas("websocket"), replicas("scheduler")],
            [4, 3, 2, 1],
        );
        assert.deepEqual(o(svc(custom, "db").inputs.taskSpec).placement, { constraints: ["node.hostname == db1"] });
        assert.deepEqual(o(svc(custom, "redis-queue").inputs.taskSpec).placement, {
            constraints: ["node.labels.frappe.redis == true"],
        });
        assert.deepEqual(o(svc(custom, "proxy").inputs.taskSpec).placement, {
            constraints: ["node.hostname == edge1"],
        });
        const update = o(svc(custom, "backend").inputs.updateConfig);
        assert.deepEqual(
            [update.parallelism, update.delay, update.monitor, update.order],
            [2, "1m", "1m30s", "stop-first"],
        );
        assert.equal(o(svc(custom, "scheduler").inputs.updateConfig).order, "stop-first");
        // The defaults let db, Redis and the proxy move between managers: every deploy says so.
        assert.equal(run.warnings.filter((w) => w.includes("frappe:swarm.placement.db/redis/proxy")).length, 1);
    });

    it("gives the nodes the registry credentials for the bench image only, as a Pulumi secret", async () => {
        const priv = await swarmRun(
            { image: "ghcr.io/acme/erp", registry: { server: "ghcr.io", username: "deploy-bot" } },
            { secrets: { ...SECRETS, registryPassword: "registry-token-1" } },
        );
        assert.equal(priv.error, undefined, priv.error?.message);
        assert.deepEqual(priv.rejections, []);
        const backend = svc(priv, "backend");
        assert.deepEqual(backend.inputs.auth, {
            serverAddress: "ghcr.io",
            username: "deploy-bot",
            password: "registry-token-1",
        });
        assert.ok(
            backend.secretPaths.some((p) => p.startsWith("auth")),
            "the password reaches the provider as a secret",
        );
        assert.ok(backend.opts.additionalSecretOutputs.includes("auth"));
        assert.equal(svc(priv, "db").inputs.auth, undefined, "third-party images are pulled without them");
    });

    it("changes only image-bearing services and jobs on a tag change", async () => {
        const next = await swarmRun({ tag: "v15.89.0" });
        assert.equal(next.error, undefined);
        const changed = next.resources
            .filter((r) => r.custom)
            .filter(
                (r) =>
                    JSON.stringify(r.inputs) !==
                    JSON.stringify(run.resources.find((x) => x.custom && x.name === r.name)?.inputs),
            )
            .map((r) => r.name.replace(/^frappe-bench-/, ""));
        const imageBearing = ROLES.filter((k) => !["db", "redis-cache", "redis-queue", "proxy"].includes(k));
        assert.deepEqual(
            changed
                .filter((k) => !k.startsWith("frappe-") && !imageBearing.includes(k))
                .every((k) => jobs(run).some((j) => j.name === `frappe-bench-${k}`)),
            true,
            changed.join(", "),
        );
        for (const untouched of [
            "db",
            "redis-cache",
            "redis-queue",
            "proxy",
            "frappe-network",
            "frappe-volumes-sites",
            "secrets-db-password",
        ]) {
            assert.ok(!changed.includes(untouched), `${untouched} changed`);
        }
        for (const k of imageBearing) {
            assert.ok(changed.includes(k), `${k} runs the new image`);
        }
    });
});
