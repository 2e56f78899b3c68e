import { StackConfig } from "../config/load";
import { DB_DEFAULTS, STANDARD_QUEUES } from "../config/schema";
import { dockerName, dockerPrefix } from "../conventions/naming";
import {
    BACKUP_RUN_SCRIPT,
    BACKUP_SCHEDULER_PY,
    BACKUP_SCHEDULER_SCRIPT,
    BACKUP_STATUS_FILE,
    backupRunScript,
} from "./backupCron";
import {
    BenchModel,
    goDuration,
    Healthcheck,
    JobSpec,
    LOGS_DIR,
    ProcessModel,
    SecretFile,
    ServiceSpec,
    SITES_DIR,
    VOLUME_KEYS,
    VolumeKey,
    VolumeMount,
} from "./model";
import { CERT_DIR, FRONTEND_PORT, frontendRoutingLabels, TRAEFIK_IMAGE, traefikCommand } from "./proxy";
import {
    ADMIN_PASSWORD_FILE,
    backupScript,
    clearCacheScript,
    configuratorScript,
    DB_ROOT_PASSWORD_FILE,
    maintenanceOffScript,
    maintenanceOnScript,
    REDIS_PASSWORD_FILE,
    migrateScript,
    RESTIC_PASSWORD_FILE,
    restoreScript,
    S3_ACCESS_KEY_ID_FILE,
    S3_SECRET_ACCESS_KEY_FILE,
    siteScript,
} from "./scripts";

export const REDIS_IMAGE = "redis:8.6-alpine";
export const BACKEND_PORT = 8000;
export const SOCKETIO_PORT = 9000;
export const REDIS_PORT = 6379;
/**
 * Where Docker's default address pools put bridge networks. Behind the in-stack Traefik, nginx
 * trusts X-Forwarded-For from there so logs and rate limits see the client, not the proxy; without
 * a proxy it keeps frappe_docker's 127.0.0.1 (trust nobody).
 */
export const DOCKER_PRIVATE_RANGE = "172.16.0.0/12";

const FRAPPE = { kind: "frappe" } as const;
const SITES: VolumeMount = { volume: "sites", containerPath: SITES_DIR };
const LOGS: VolumeMount = { volume: "logs", containerPath: LOGS_DIR };

/** Where the bench reaches its database and Redis: in-stack service names or external hosts. */
export interface Endpoints {
    readonly dbHost: string;
    readonly dbPort: number;
    readonly postgres: boolean;
    readonly dbRootUser: string;
    readonly redisCache: string;
    readonly redisQueue: string;
}

export function endpoints(c: StackConfig): Endpoints {
    const engine = c.db.type === "external" ? c.db.engine : c.db.type;
    if (engine === undefined) {
        // The schema refuses an external database without db.engine; guessing one would pass a Postgres
        // server off as MariaDB and fail only later, inside a job.
        throw new Error("frappe:db.engine is required when frappe:db.type is external");
    }
    const postgres = engine === "postgres";
    return {
        dbHost: c.db.type === "external" ? (c.db.host ?? "") : "db",
        dbPort: c.db.port ?? DB_DEFAULTS[engine].port,
        postgres,
        dbRootUser: c.db.rootUser ?? (postgres ? "postgres" : "root"),
        redisCache: c.redis.cache ?? `redis-cache:${REDIS_PORT}`,
        redisQueue: c.redis.queue ?? `redis-queue:${REDIS_PORT}`,
    };
}

function health(tests: string[], interval: number, timeout: number, startPeriod: number, retries: number): Healthcheck {
    return {
        tests,
        interval: goDuration(interval),
        timeout: goDuration(timeout),
        startPeriod: goDuration(startPeriod),
        retries,
    };
}

/** A TCP check with bash's /dev/tcp: every Frappe image has bash, not every one has nc. */
function tcpCheck(host: string, port: number): string {
    return `bash -c '</dev/tcp/${host}/${port}'`;
}

/**
 * Frappe answers the ping for a site. 503 counts as alive: during an upgrade the sites are in
 * maintenance mode until this very backend is healthy, and Frappe only answers 503 after loading the
 * site and reaching its database.
 */
function pingSite(site: string): string {
    return `code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: ${site}' http://127.0.0.1:${BACKEND_PORT}/api/method/ping); [ "$code" = 200 ] || [ "$code" = 503 ]`;
}

function pid1Runs(fragment: string): string {
    return `tr '\\0' ' ' < /proc/1/cmdline | grep -q '${fragment}'`;
}

function splitHostPort(hp: string): [string, number] {
    const i = hp.lastIndexOf(":");
    return [hp.slice(0, i), Number(hp.slice(i + 1))];
}

const DB_SECRET: SecretFile = { secret: "dbPassword", path: DB_ROOT_PASSWORD_FILE, owner: "1000", mode: "0400" };
const REDIS_SECRET: SecretFile = { secret: "redisPassword", path: REDIS_PASSWORD_FILE, owner: "1000", mode: "0400" };
const ADMIN_SECRET: SecretFile = { secret: "adminPassword", path: ADMIN_PASSWORD_FILE, owner: "1000", mode: "0400" };

/** Everything of a service beyond its identity, with the defaults `service()` fills in. */
type ServiceDefaults = Partial<
    Omit<ServiceSpec, "kind" | "key" | "role" | "image" | "aliases" | "env" | "mounts" | "healthcheck" | "after">
>;

function service(
    base: Pick<ServiceSpec, "key" | "role" | "image" | "aliases" | "env" | "mounts" | "healthcheck" | "after">,
    more: ServiceDefaults = {},
): ServiceSpec {
    return {
        kind: "service",
        binds: [],
        ports: [],
        labels: {},
        secretFiles: [],
        files: [],
        stopGraceSeconds: 10,
        waitHealthy: false,
        healthTimeoutSeconds: 60,
        ...base,
        ...more,
    };
}

/** Env every job shares, so that jobs keyed on the image re-run together and only then. */
function jobEnv(e: Endpoints, c: StackConfig): Record<string, string> {
    return { DB_ROOT_USER: e.dbRootUser, FRAPPE_STACK: c.stack };
}

function job(
    key: string,
    role: JobSpec["role"],
    description: string,
    script: string,
    after: string[],
    env: Record<string, string>,
    secretFiles: SecretFile[] = [],
): JobSpec {
    return {
        kind: "job",
        key,
        role,
        description,
        image: FRAPPE,
        entrypoint: ["bash", "-c"],
        command: [script],
        env,
        secretFiles,
        files: [],
        mounts: [SITES, LOGS],
        after,
        chainsLaterJobs: true,
        triggers: [],
    };
}

function dataServices(c: StackConfig): ServiceSpec[] {
    const out: ServiceSpec[] = [];
    if (c.db.type === "mariadb") {
        out.push(
            service(
                {
                    key: "db",
                    role: "db",
                    image: { kind: "fixed", ref: c.db.image ?? DB_DEFAULTS.mariadb.image },
                    aliases: ["db"],
                    env: { MARIADB_AUTO_UPGRADE: "1", MARIADB_ROOT_PASSWORD_FILE: DB_ROOT_PASSWORD_FILE },
                    mounts: [{ volume: "db-data", containerPath: "/var/lib/mysql" }],
                    healthcheck: health(["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"], 5, 5, 30, 5),
                    after: [],
                },
                {
                    command: [
                        "--character-set-server=utf8mb4",
                        "--collation-server=utf8mb4_unicode_ci",
                        "--skip-character-set-client-handshake",
                    ],
                    secretFiles: [{ ...DB_SECRET, owner: "0", mode: "0444" }],
                    stopGraceSeconds: 120,
                    waitHealthy: true,
                    healthTimeoutSeconds: 600,
                },
            ),
        );
    } else if (c.db.type === "postgres") {
        out.push(
            service(
                {
                    key: "db",
                    role: "db",
                    image: { kind: "fixed", ref: c.db.image ?? DB_DEFAULTS.postgres.image },
                    aliases: ["db"],
                    env: { POSTGRES_PASSWORD_FILE: DB_ROOT_PASSWORD_FILE },
                    mounts: [{ volume: "db-data", containerPath: "/var/lib/postgresql/data" }],
                    healthcheck: health(["CMD-SHELL", "pg_isready -U postgres"], 5, 5, 30, 5),
                    after: [],
                },
                {
                    secretFiles: [{ ...DB_SECRET, owner: "0", mode: "0444" }],
                    stopGraceSeconds: 120,
                    waitHealthy: true,
                    healthTimeoutSeconds: 600,
                },
            ),
        );
    }
    if (c.redis.cache === undefined) {
        const image = { kind: "fixed", ref: c.redis.image ?? REDIS_IMAGE } as const;
        const ping = health(["CMD", "redis-cli", "ping"], 5, 3, 5, 5);
        out.push(
            service(
                {
                    key: "redis-cache",
                    role: "redis-cache",
                    image,
                    aliases: ["redis-cache"],
                    env: {},
                    // A stale cache broke assets upstream (frappe_docker PR #1555): never persist it.
                    mounts: [],
                    healthcheck: ping,
                    after: [],
                },
                { command: ["redis-server", "--save", "", "--appendonly", "no"], waitHealthy: true },
            ),
            service(
                {
                    key: "redis-queue",
                    role: "redis-queue",
                    image,
                    aliases: ["redis-queue"],
                    env: {},
                    mounts: [{ volume: "redis-queue-data", containerPath: "/data" }],
                    healthcheck: ping,
                    after: [],
                },
                {
                    // Queued jobs survive a restart.
                    command: ["redis-server", "--appendonly", "yes"],
                    stopGraceSeconds: 30,
                    waitHealthy: true,
                },
            ),
        );
    }
    return out;
}

/**
 * Queues the running custom workers serve beyond Frappe's own, with the longest timeout asked for
 * each. A worker scaled to 0 declares nothing: jobs for its queue are refused instead of piling up.
 */
export function customQueues(c: StackConfig): Record<string, number> {
    const out: Record<string, number> = {};
    for (const w of c.workers.custom.filter((x) => x.replicas > 0)) {
        for (const q of w.queues.filter((x) => !STANDARD_QUEUES.includes(x))) {
            out[q] = Math.max(out[q] ?? 0, w.timeout);
        }
    }
    return out;
}

/** Frappe's own queues that no running worker serves (jobs sent there would wait forever). */
export function unservedQueues(c: StackConfig): string[] {
    const served = new Set<string>();
    if (c.workers.short > 0) {
        ["short", "default"].forEach((q) => served.add(q));
    }
    if (c.workers.long > 0) {
        ["long", "default", "short"].forEach((q) => served.add(q));
    }
    c.workers.custom.filter((w) => w.replicas > 0).forEach((w) => w.queues.forEach((q) => served.add(q)));
    return STANDARD_QUEUES.filter((q) => !served.has(q));
}

/** Site names are unique lowercase hostnames, valid in Docker and Pulumi names as they are. */
export function siteJobKey(site: string): string {
    return `site-${site}`;
}

/**
 * The whole bench as data, in dependency order:
 * db, redis → configurator → backup → maintenance on (→ restore) → migrate → sites → clear cache
 * → backend, websocket, workers, scheduler → frontend → proxy; maintenance off once all are up.
 */
export function buildBenchModel(c: StackConfig): BenchModel {
    const e = endpoints(c);
    const prefix = dockerPrefix(c.stack);
    const network = dockerName(c.stack, "network");
    const processes: ProcessModel[] = [];
    const data = dataServices(c);
    processes.push(...data);
    const env = jobEnv(e, c);
    const redisAuth = c.secretsSet.includes("redisPassword");

    processes.push({
        ...job(
            "configurator",
            "configurator",
            "write apps.txt and common_site_config.json",
            configuratorScript({ postgres: e.postgres, redisPassword: redisAuth, customQueues: customQueues(c) }),
            data.map((d) => d.key),
            {
                ...env,
                DB_HOST: e.dbHost,
                DB_PORT: String(e.dbPort),
                REDIS_CACHE: e.redisCache,
                REDIS_QUEUE: e.redisQueue,
                SOCKETIO_PORT: String(SOCKETIO_PORT),
            },
            [...(e.postgres ? [DB_SECRET] : []), ...(redisAuth ? [REDIS_SECRET] : [])],
        ),
        // Its changes reach the running processes by recreating them (restartAfter), not by a maintenance window.
        chainsLaterJobs: false,
    });
    processes.push(
        {
            // Always with files and never pruning (backup-cron prunes): so no backup setting can make this
            // job, and the maintenance window after it, run without an image change. Setting or changing
            // frappe:restore does start the sequence, so the restore happens inside a maintenance window.
            ...job(
                "pre-upgrade-backup",
                "backup",
                "back up every site before migrating",
                backupScript({ withFiles: true, label: "pre-upgrade-backup" }),
                ["configurator"],
                env,
            ),
            triggers: c.restore ? [`restore ${c.restore.site} ${c.restore.backup}`] : [],
        },
        job(
            "maintenance-on",
            "maintenance-on",
            "switch maintenance mode on and pause the scheduler",
            maintenanceOnScript(),
            ["pre-upgrade-backup"],
            env,
        ),
    );
    // A restore goes in before the migration, so the image being deployed migrates the restored data
    // (a rollback: restore the pre-upgrade backup, then the older image's migrate runs on it).
    let beforeMigrate = "maintenance-on";
    if (c.restore) {
        processes.push(
            job(
                "restore",
                "restore",
                `restore backup ${c.restore.backup} into ${c.restore.site}`,
                restoreScript(c.restore),
                [beforeMigrate],
                env,
                [DB_SECRET],
            ),
        );
        beforeMigrate = "restore";
    }
    processes.push(
        job("migrate", "migrate", "migrate every site with the new image", migrateScript(), [beforeMigrate], env),
    );

    // One site after the other: concurrent `bench new-site` runs share common_site_config.json and
    // the database server's root session, and a host with many sites should not start them all at once.
    let previous = "migrate";
    c.sites.forEach((s, i) => {
        const key = siteJobKey(s.name);
        processes.push(
            job(
                key,
                "create-site",
                `create site ${s.name} or install its missing apps`,
                siteScript({ site: s.name, apps: s.apps, postgres: e.postgres, setDefault: i === 0 }),
                [previous],
                env,
                [DB_SECRET, ADMIN_SECRET],
            ),
        );
        previous = key;
    });

    processes.push(job("clear-cache", "clear-cache", "clear caches", clearCacheScript(), [previous], env));

    const app = ["clear-cache"];
    const [queueHost, queuePort] = splitHostPort(e.redisQueue);
    const benchServices: ServiceSpec[] = [
        service(
            {
                key: "backend",
                role: "backend",
                image: FRAPPE,
                aliases: ["backend"],
                env: {
                    GUNICORN_WORKERS: String(c.gunicorn.workers),
                    GUNICORN_THREADS: String(c.gunicorn.threads),
                    GUNICORN_TIMEOUT: String(c.gunicorn.timeout),
                },
                mounts: [SITES, LOGS],
                healthcheck: health(
                    ["CMD-SHELL", c.sites.length > 0 ? pingSite(c.sites[0].name) : tcpCheck("127.0.0.1", BACKEND_PORT)],
                    10,
                    5,
                    60,
                    5,
                ),
                after: app,
            },
            { stopGraceSeconds: 30, waitHealthy: true, healthTimeoutSeconds: 300, restartAfter: "configurator" },
        ),
        service(
            {
                key: "websocket",
                role: "websocket",
                image: FRAPPE,
                aliases: ["websocket"],
                env: {},
                mounts: [SITES, LOGS],
                healthcheck: health(["CMD-SHELL", tcpCheck("127.0.0.1", SOCKETIO_PORT)], 10, 5, 30, 5),
                after: app,
            },
            {
                command: ["node", "/home/frappe/frappe-bench/apps/frappe/socketio.js"],
                waitHealthy: true,
                restartAfter: "configurator",
            },
        ),
    ];
    const workers: {
        name: string;
        role: ServiceSpec["role"];
        replicas: number;
        queues: string;
        labels: Record<string, string>;
    }[] = [
        { name: "queue-short", role: "queue-short", replicas: c.workers.short, queues: "short,default", labels: {} },
        { name: "queue-long", role: "queue-long", replicas: c.workers.long, queues: "long,default,short", labels: {} },
        ...c.workers.custom.map((w) => ({
            name: `queue-${w.name}`,
            role: "queue-custom" as const,
            replicas: w.replicas,
            queues: w.queues.join(","),
            labels: { "frappe.queue": w.name },
        })),
    ];
    for (const { name: workerName, role, replicas, queues, labels } of workers) {
        for (let i = 1; i <= replicas; i++) {
            benchServices.push(
                service(
                    {
                        key: `${workerName}-${i}`,
                        role,
                        image: FRAPPE,
                        aliases: [workerName],
                        env: {},
                        mounts: [SITES, LOGS],
                        healthcheck: health(
                            [
                                "CMD-SHELL",
                                `${pid1Runs(`worker --queue ${queues}`)} && ${tcpCheck(queueHost, queuePort)}`,
                            ],
                            30,
                            10,
                            30,
                            3,
                        ),
                        after: app,
                    },
                    // A worker in the middle of a job gets time to finish it (RQ warm shutdown on SIGTERM).
                    {
                        command: ["bench", "worker", "--queue", queues],
                        stopGraceSeconds: 300,
                        labels,
                        restartAfter: "configurator",
                    },
                ),
            );
        }
    }
    benchServices.push(
        service(
            {
                key: "scheduler",
                role: "scheduler",
                image: FRAPPE,
                aliases: ["scheduler"],
                env: {},
                mounts: [SITES, LOGS],
                healthcheck: health(
                    ["CMD-SHELL", `${pid1Runs("schedule")} && ${tcpCheck(queueHost, queuePort)}`],
                    30,
                    10,
                    30,
                    3,
                ),
                after: app,
            },
            { command: ["bench", "schedule"], stopGraceSeconds: 30, restartAfter: "configurator" },
        ),
    );
    processes.push(...benchServices);

    const proxied = c.proxy.type === "traefik";
    const traefikInput = {
        stack: c.stack,
        prefix,
        network,
        https: c.proxy.https,
        siteNames: c.sites.map((s) => s.name),
    };
    const upstream = c.frontend.upstreamRealIp;
    processes.push(
        service(
            {
                key: "frontend",
                role: "frontend",
                image: FRAPPE,
                aliases: ["frontend"],
                env: {
                    BACKEND: `backend:${BACKEND_PORT}`,
                    SOCKETIO: `websocket:${SOCKETIO_PORT}`,
                    FRAPPE_SITE_NAME_HEADER: c.frontend.siteNameHeader,
                    UPSTREAM_REAL_IP_ADDRESS: upstream.address ?? (proxied ? DOCKER_PRIVATE_RANGE : "127.0.0.1"),
                    UPSTREAM_REAL_IP_HEADER: upstream.header,
                    UPSTREAM_REAL_IP_RECURSIVE: upstream.recursive ? "on" : "off",
                    PROXY_READ_TIMEOUT: String(c.frontend.proxyReadTimeout),
                    CLIENT_MAX_BODY_SIZE: c.frontend.clientMaxBodySize,
                },
                mounts: [SITES, LOGS],
                healthcheck: health(["CMD-SHELL", tcpCheck("127.0.0.1", FRONTEND_PORT)], 10, 5, 10, 5),
                after: ["backend", "websocket"],
            },
            {
                command: ["nginx-entrypoint.sh"],
                ports: proxied ? [] : [{ internal: FRONTEND_PORT, external: c.proxy.httpPort ?? 8080 }],
                labels: proxied ? frontendRoutingLabels(traefikInput) : {},
                waitHealthy: true,
            },
        ),
    );

    if (proxied) {
        const ports = [{ internal: 80, external: c.proxy.httpPort ?? 80 }];
        const mounts: VolumeMount[] = [];
        if (c.proxy.https) {
            ports.push({ internal: 443, external: c.proxy.httpsPort ?? 443 });
            mounts.push({ volume: "cert-data", containerPath: CERT_DIR });
        }
        processes.push(
            service(
                {
                    key: "proxy",
                    role: "proxy",
                    image: { kind: "fixed", ref: c.proxy.image ?? TRAEFIK_IMAGE },
                    aliases: ["proxy"],
                    env: {},
                    mounts,
                    healthcheck: health(["CMD", "traefik", "healthcheck", "--ping"], 10, 5, 10, 3),
                    after: ["frontend"],
                },
                {
                    command: traefikCommand(traefikInput),
                    binds: [
                        { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true },
                    ],
                    ports,
                    usernsMode: "host",
                },
            ),
        );
    }

    processes.push(
        job(
            "maintenance-off",
            "maintenance-off",
            "resume the scheduler and switch maintenance mode off",
            maintenanceOffScript(),
            benchServices.map((s) => s.key).concat(["frontend"]),
            env,
        ),
    );

    const offsite = c.backup.offsite;
    const cronSecrets: SecretFile[] = offsite
        ? [
              { secret: "resticPassword", path: RESTIC_PASSWORD_FILE, owner: "1000", mode: "0400" },
              { secret: "s3AccessKeyId", path: S3_ACCESS_KEY_ID_FILE, owner: "1000", mode: "0400" },
              { secret: "s3SecretAccessKey", path: S3_SECRET_ACCESS_KEY_FILE, owner: "1000", mode: "0400" },
          ]
        : [];
    processes.push(
        service(
            {
                key: "backup-cron",
                role: "backup-cron",
                image: FRAPPE,
                aliases: ["backup-cron"],
                env: {
                    BACKUP_SCHEDULE: c.backup.schedule,
                    FRAPPE_STACK: c.stack,
                    ...(offsite ? { RESTIC_REPOSITORY: offsite.repository } : {}),
                },
                mounts: [SITES, LOGS],
                healthcheck: health(
                    [
                        "CMD-SHELL",
                        `${pid1Runs("scheduler.py")} && { [ ! -f ${BACKUP_STATUS_FILE} ] || grep -q '^ok' ${BACKUP_STATUS_FILE}; }`,
                    ],
                    60,
                    5,
                    10,
                    1,
                ),
                after: ["maintenance-off"],
            },
            {
                entrypoint: ["python3", BACKUP_SCHEDULER_SCRIPT, BACKUP_RUN_SCRIPT],
                files: [
                    { path: BACKUP_SCHEDULER_SCRIPT, content: BACKUP_SCHEDULER_PY, executable: false },
                    {
                        path: BACKUP_RUN_SCRIPT,
                        content: backupRunScript({
                            withFiles: c.backup.withFiles,
                            keepLast: c.backup.keepLast,
                            offsite,
                            protect: c.restore?.backup,
                        }),
                        executable: true,
                    },
                ],
                secretFiles: cronSecrets,
                // Let a running backup finish instead of leaving a half-written archive.
                stopGraceSeconds: 600,
            },
        ),
    );

    // Every volume exists whatever the options: switching HTTPS off or the database to external must
    // not make Pulumi try to delete a protected volume (and its data must stay for a way back).
    const volumes: VolumeKey[] = [...VOLUME_KEYS];
    return { processes, volumes };
}
