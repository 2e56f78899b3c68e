import { StackConfig } from "../../config/load";
import { DB_DEFAULTS } from "../../config/schema";
import { DB_SECRET, service } from "./processes";
import { DB_ROOT_PASSWORD_FILE, ROOT_UID } from "../layout";
import { JobSpec, ServiceSpec } from "./types";

/** The in-stack data services: the database and the two Redis servers, unless they are external. */

const REDIS_IMAGE = "redis:8.6-alpine";

/** Databases stop slowly and start slowly (recovery, upgrades): long grace, long wait for health. */
const DATABASE_DEFAULTS = {
    secretFiles: [{ ...DB_SECRET, owner: ROOT_UID, mode: "0444" as const }],
    stopGraceSeconds: 120,
    waitHealthy: true,
    healthTimeoutSeconds: 600,
};

function mariadbService(c: StackConfig): ServiceSpec {
    return service(
        {
            key: "db",
            role: "db",
            image: { kind: "fixed", ref: c.db.image ?? DB_DEFAULTS.mariadb.image },
            aliases: ["db"],
            env: { MARIADB_AUTO_UPGRADE: "1", MARIADB_ROOT_PASSWORD_FILE: DB_ROOT_PASSWORD_FILE },
            mounts: [{ volume: "db-data", containerPath: "/var/lib/mysql" }],
            healthcheck: {
                tests: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"],
                intervalSeconds: 5,
                timeoutSeconds: 5,
                startPeriodSeconds: 30,
                retries: 5,
            },
            after: [],
        },
        {
            command: [
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
                "--skip-character-set-client-handshake",
            ],
            ...DATABASE_DEFAULTS,
        },
    );
}

function postgresService(c: StackConfig): ServiceSpec {
    return service(
        {
            key: "db",
            role: "db",
            image: { kind: "fixed", ref: c.db.image ?? DB_DEFAULTS.postgres.image },
            aliases: ["db"],
            env: { POSTGRES_PASSWORD_FILE: DB_ROOT_PASSWORD_FILE },
            mounts: [{ volume: "db-data", containerPath: "/var/lib/postgresql/data" }],
            healthcheck: {
                tests: ["CMD-SHELL", "pg_isready -U postgres"],
                intervalSeconds: 5,
                timeoutSeconds: 5,
                startPeriodSeconds: 30,
                retries: 5,
            },
            after: [],
        },
        DATABASE_DEFAULTS,
    );
}

function redisServices(c: StackConfig): ServiceSpec[] {
    const image = { kind: "fixed", ref: c.redis.image ?? REDIS_IMAGE } as const;
    const ping = {
        tests: ["CMD", "redis-cli", "ping"],
        intervalSeconds: 5,
        timeoutSeconds: 3,
        startPeriodSeconds: 5,
        retries: 5,
    };
    return [
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
    ];
}

/** The database (MariaDB or Postgres in the stack; none when external), then Redis (none when external). */
export function dataServices(c: StackConfig, guard?: JobSpec): ServiceSpec[] {
    const out: ServiceSpec[] = [];
    // The database server starts (or changes image) only after its guard succeeded.
    const after = guard === undefined ? [] : [guard.key];
    if (c.db.type === "mariadb") {
        out.push({ ...mariadbService(c), after });
    } else if (c.db.type === "postgres") {
        out.push({ ...postgresService(c), after });
    }
    if (c.redis.cache === undefined) {
        out.push(...redisServices(c));
    }
    return out;
}
