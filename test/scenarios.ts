import { loadStackConfig, RunOptions } from "./harness";

export const SECRETS = { dbPassword: "Db-Secret-7f3a", adminPassword: "Admin-Secret-91c2" };
export const TWO_SITES = {
    tag: "v15.88.1",
    sites: [
        { name: "erp.example.com", apps: ["erpnext", "hrms"] },
        { name: "crm.example.com", apps: ["crm"] },
    ],
};
export const OFFSITE_SECRETS = { resticPassword: "r", s3AccessKeyId: "a", s3SecretAccessKey: "s" };

function shipped(stack: "staging" | "production", extra: Record<string, string>): RunOptions {
    const { config, secrets } = loadStackConfig(stack);
    return { stack, config, secrets: { ...secrets, ...extra } };
}

/**
 * The configurations the tests run the whole program with, by name: test/graph.test.ts pins the graph
 * of every one (test/graph/<name>.json), and the other test files run the same ones through `scenario`
 * instead of copying them.
 */
export const SCENARIOS = {
    "shipped-staging-build": () => shipped("staging", { registryPassword: "registry-token" }),
    "shipped-production": () => shipped("production", OFFSITE_SECRETS),
    "mariadb-traefik-one-site": () => ({
        stack: "staging",
        config: { tag: "v15.88.1", sites: [{ name: "erp.example.com", apps: ["erpnext"] }] },
        secrets: { dbPassword: "db-secret-1", adminPassword: "admin-secret-1" },
    }),
    "postgres-https-three-sites": () => ({
        stack: "production",
        config: {
            image: "ghcr.io/acme/erp",
            tag: "v15.88.1",
            digest: `sha256:${"b".repeat(64)}`,
            sites: ["a", "b", "c"].map((s) => ({ name: `${s}.example.com`, apps: ["erpnext"] })),
            db: { type: "postgres" },
            proxy: { type: "traefik", https: { email: "ops@example.com" }, httpsPort: 8443 },
            workers: { short: 3, long: 0 },
            gunicorn: { workers: 5, threads: 2, timeout: 300 },
        },
        secrets: { dbPassword: "pg-secret", adminPassword: "admin-secret" },
    }),
    "external-db-redis-no-proxy": () => ({
        stack: "staging",
        config: {
            tag: "v15.88.1",
            db: { type: "external", engine: "mariadb", host: "mariadb.internal", port: 3307 },
            redis: { cache: "cache.internal:6379", queue: "queue.internal:6380" },
            proxy: { type: "none", httpPort: 8081 },
            frontend: {
                siteNameHeader: "erp.example.com",
                clientMaxBodySize: "200m",
                proxyReadTimeout: 600,
                upstreamRealIp: { address: "10.0.0.0/8", header: "X-Real-IP", recursive: true },
            },
            sites: [{ name: "erp.example.com" }],
        },
        secrets: { dbPassword: "ext-secret" },
    }),
    "external-redis-password": () => ({
        stack: "staging",
        config: {
            tag: "v15.88.1",
            redis: { cache: "cache.internal:6379", queue: "queue.internal:6379" },
            db: { type: "external", engine: "mariadb", host: "db.internal" },
        },
        secrets: { redisPassword: "r3dis/p@ss", dbPassword: "x" },
    }),
    "no-sites-no-proxy": () => ({ stack: "staging", config: { tag: "v15.88.1", proxy: { type: "none" } } }),
    "remote-docker-host": () => ({
        stack: "staging",
        config: { tag: "v15.88.1", "docker:host": "ssh://deploy@erp.example.com" },
    }),
    "workers-custom": () => ({
        stack: "staging",
        config: {
            tag: "v15.88.1",
            workers: {
                custom: [
                    { name: "reports", queues: ["reports", "default"], replicas: 2, timeout: 3600 },
                    { name: "mail", queues: ["mail"] },
                ],
            },
        },
    }),
    "workers-custom-scaled-down": () => ({
        stack: "staging",
        config: { tag: "v15.88.1", workers: { custom: [{ name: "mail", queues: ["mail"], replicas: 0 }] } },
    }),
    "workers-unserved-queue": () => ({
        stack: "staging",
        config: { tag: "v15.88.1", sites: [{ name: "erp.example.com" }], workers: { short: 2, long: 0 } },
    }),
    "two-sites": () => ({ stack: "staging", config: TWO_SITES, secrets: SECRETS }),
    "two-sites-backup-settings": () => ({
        stack: "staging",
        config: { ...TWO_SITES, backup: { keepLast: 7, withFiles: false } },
        secrets: SECRETS,
    }),
    "two-sites-failed-migrate": () => ({
        stack: "staging",
        config: { ...TWO_SITES, tag: "v15.89.0" },
        secrets: SECRETS,
        exitCodes: { "frappe-staging-migrate": 1 },
    }),
    "restore-staging": () => ({
        stack: "staging",
        config: { ...TWO_SITES, restore: { site: "crm.example.com", backup: "20261120_040000" } },
        secrets: SECRETS,
    }),
    "production-postgres-offsite-restore": () => ({
        stack: "production",
        config: {
            tag: "v15.88.1",
            digest: `sha256:${"c".repeat(64)}`,
            db: { type: "postgres" },
            sites: TWO_SITES.sites,
            backup: { offsite: { repository: "s3:https://s3.example.com/bucket/erp" } },
            restore: { site: "erp.example.com", backup: "20260101_120000" },
        },
        secrets: { ...SECRETS, ...OFFSITE_SECRETS },
    }),
    "production-backup-schedule": () => ({
        stack: "production",
        config: {
            tag: "v15.88.1",
            digest: `sha256:${"c".repeat(64)}`,
            sites: TWO_SITES.sites,
            backup: {
                schedule: "30 2 * * *",
                withFiles: false,
                keepLast: 7,
                offsite: { repository: "s3:https://s3.example.com/bucket/erp", keepLast: 90 },
            },
        },
        secrets: { ...SECRETS, ...OFFSITE_SECRETS },
    }),
    "sites-removed-from-config": () => ({
        stack: "staging",
        config: { tag: "v15.88.1", sites: [{ name: "erp.example.com", apps: ["erpnext"] }] },
        secrets: SECRETS,
        previousOutputs: { siteApps: { "erp.example.com": ["erpnext", "hrms"], "old.example.com": ["erpnext"] } },
    }),
    "shipped-local": () => {
        const { config, secrets } = loadStackConfig("local");
        return { stack: "local", config, secrets };
    },
    "adopted-frappe-docker-volumes": () => ({
        stack: "production",
        config: {
            tag: "v15.88.1",
            sites: [{ name: "erp.example.com", apps: ["erpnext"] }],
            proxy: { type: "traefik", https: { email: "ops@example.com" } },
            volumes: {
                sites: "erpnext_sites",
                logs: "erpnext_logs",
                "db-data": "erpnext_db-data",
                "redis-queue-data": "erpnext_redis-queue-data",
                "cert-data": "erpnext_cert-data",
            },
        },
        secrets: SECRETS,
    }),
    // test/swarm.test.ts: the Swarm rendering of three sites, Postgres and HTTPS.
    "swarm-postgres-https-three-sites": () => ({
        stack: "staging",
        config: {
            tag: "v15.88.1",
            sites: ["a", "b", "c"].map((s) => ({ name: `${s}.example.com`, apps: ["erpnext"] })),
            db: { type: "postgres" },
            proxy: { type: "traefik", https: { email: "ops@example.com" } },
            workers: { short: 2, long: 1, custom: [{ name: "reports", queues: ["reports"], replicas: 3 }] },
            backup: { offsite: { repository: "s3:https://s3.example.com/bucket/erp" } },
            swarm: {
                sitesVolume: {
                    options: { type: "nfs", o: "addr=10.0.0.5,nfsvers=4,rw", device: ":/exports/frappe-sites" },
                },
            },
        },
        secrets: { ...SECRETS, ...OFFSITE_SECRETS },
    }),
} satisfies Record<string, () => RunOptions>;

export type ScenarioName = keyof typeof SCENARIOS;

/** The options of a named scenario, fresh for each run. */
export function scenario(name: ScenarioName): RunOptions {
    return SCENARIOS[name]();
}

/**
 * The networks a process of `role` joins, by the model's intent (who talks to whom): the proxy reaches only the
 * frontend, the data stores only their clients; every other process is on the data and bench networks.
 */
export function networksOfRole(role: string): string[] {
    const apart: Record<string, string[]> = {
        proxy: ["edge"],
        frontend: ["edge", "bench"],
        db: ["data"],
        "redis-cache": ["data"],
        "redis-queue": ["data"],
    };
    return apart[role] ?? ["data", "bench"];
}
