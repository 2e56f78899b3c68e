import { isIP } from "node:net";
import { z } from "zod";
import { Cron } from "croner";
import { APP_NAME_DESCRIPTION, APP_NAME_PATTERN } from "../conventions/apps";
import { DIGEST_PATTERN, REPOSITORY_PATTERN, TAG_PATTERN } from "../conventions/image";
import { isMovingRef, MOVING_REF_DESCRIPTION } from "../conventions/tags";
import { buildConfigSchema, registryConfigSchema } from "./buildSchema";
import { setSecretHint } from "./issues";
import { isStructured } from "./keys";
import { swarmConfigSchema, swarmProblems } from "./swarmSchema";

/**
 * The one schema of the stack configuration (`frappe:*` keys). Everything downstream receives the
 * parsed, defaulted `StackConfig`; nothing else reads `pulumi.Config` for these keys.
 */

/** A strict object whose "unknown key" error lists the keys it does know, so a typo is easy to fix. */
function strict<T extends z.ZodRawShape>(shape: T) {
    const known = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (issue) => (issue.code === "unrecognized_keys" ? `one of the known keys (${known})` : undefined),
    });
}

function int(min: number, max: number, what: string) {
    return z
        .number({ error: `${what}: an integer between ${min} and ${max}` })
        .int({ error: `${what}: an integer between ${min} and ${max}` })
        .min(min, { error: `${what}: an integer between ${min} and ${max}` })
        .max(max, { error: `${what}: an integer between ${min} and ${max}` });
}

const port = (what: string) => int(1, 65535, what);

/** RFC 1123 hostname, lowercase (Frappe site directories are named after it). */
const HOSTNAME_PATTERN =
    /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const hostname = z.string().regex(HOSTNAME_PATTERN, {
    error: "a lowercase hostname such as erp.example.com (letters, digits, hyphens, dots)",
});

const appName = z.string().regex(APP_NAME_PATTERN, { error: APP_NAME_DESCRIPTION });

const hostPort = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?:\d{1,5}$/, {
    error: "host:port, e.g. redis.internal:6379 (no scheme)",
});

const imageRef = z.string().regex(/^[a-z0-9][a-z0-9._\-/:@]*$/, {
    error: "an image reference such as mariadb:11.8 or registry.example.com/redis:8.6-alpine",
});

const siteSchema = strict({
    name: hostname,
    apps: z.array(appName).default([]),
});

export const DB_DEFAULTS = {
    mariadb: { image: "mariadb:11.8", port: 3306 },
    postgres: { image: "postgres:15.17", port: 5432 },
} as const;

const dbSchema = strict({
    type: z
        .enum(["mariadb", "postgres", "external"], { error: "one of mariadb, postgres, external" })
        .default("mariadb"),
    image: imageRef.optional(),
    host: z
        .string()
        .regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, { error: "a hostname or IP address" })
        .optional(),
    port: port("port").optional(),
    /** Engine of an external server; decides `bench new-site --db-type`. */
    engine: z.enum(["mariadb", "postgres"], { error: "one of mariadb, postgres" }).optional(),
    /** Root (superuser) account Frappe uses to create site databases. */
    rootUser: z
        .string()
        .regex(/^[A-Za-z0-9_]{1,64}$/, { error: "a database user name (letters, digits, _)" })
        .optional(),
});

const redisSchema = strict({
    image: imageRef.optional(),
    cache: hostPort.optional(),
    queue: hostPort.optional(),
});

const proxySchema = strict({
    type: z.enum(["traefik", "none"], { error: "one of traefik, none" }).default("traefik"),
    image: imageRef.optional(),
    https: strict({
        email: z.email({ error: "an email address for Let's Encrypt" }),
    }).optional(),
    httpPort: port("httpPort").optional(),
    httpsPort: port("httpsPort").optional(),
    /**
     * The host address the published ports listen on (Docker's -p <address>:<port>:<port>); unset, every
     * interface, as frappe_docker's pwd.yml publishes, so a first deploy answers at the machine's address.
     */
    bindAddress: z
        .string()
        .refine((a) => isIP(a) !== 0, {
            error:
                "an IP address of this host, such as 127.0.0.1 (this host only, e.g. behind a proxy of your own) or " +
                "192.0.2.10 (one interface); no network, no host name; leave it unset to publish on every interface",
        })
        .optional(),
});

/** Frappe's own queues; any other queue name a worker serves is declared in common_site_config. */
export const STANDARD_QUEUES: readonly string[] = ["short", "default", "long"];

const customWorkerSchema = strict({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, { error: "a worker name such as reports (a-z, 0-9, -)" }),
    queues: z
        .array(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, { error: "a queue name such as reports (a-z, 0-9, _)" }))
        .min(1, { error: "at least one queue" }),
    replicas: int(0, 32, "replicas").default(1),
    /** Job timeout of the queue(s) this worker adds (Frappe's long queue uses 1500 s). */
    timeout: int(1, 86400, "seconds").default(1500),
});

const workersSchema = strict({
    short: int(0, 32, "replicas").default(1),
    long: int(0, 32, "replicas").default(1),
    /** Extra workers for custom queues (frappe_docker leaves these to hand-written services). */
    custom: z.array(customWorkerSchema).default([]),
});

const gunicornSchema = strict({
    workers: int(1, 64, "workers").default(2),
    threads: int(1, 64, "threads").default(4),
    timeout: int(1, 3600, "timeout in seconds").default(120),
});

const frontendSchema = strict({
    /** Unset: derived by the frontend's model (bench/model/proxy.ts, siteNameHeader). */
    siteNameHeader: z.union([z.literal("$host"), hostname], { error: "$host or a site hostname" }).optional(),
    clientMaxBodySize: z
        .string()
        .regex(/^\d+[kKmMgG]?$/, { error: "an nginx size such as 50m, 1g or 10240k" })
        .default("50m"),
    proxyReadTimeout: int(1, 86400, "seconds").default(120),
    upstreamRealIp: strict({
        address: z
            .string()
            .regex(/^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+)(?:\/\d{1,3})?$/, {
                error: "an IP address or CIDR such as 192.0.2.10 or 10.1.2.0/24",
            })
            .refine((a) => !/\/0+$/.test(a), {
                error:
                    "the address or network of your proxy, not every address: nginx would trust the client-address " +
                    "header from anyone, so any client could claim any IP in logs, rate limits and IP restrictions " +
                    "(e.g. your load balancer's address or range; unset, behind the in-stack proxy, its network)",
            })
            .optional(),
        header: z
            .string()
            .regex(/^[A-Za-z0-9-]+$/, { error: "an HTTP header name such as X-Forwarded-For" })
            .default("X-Forwarded-For"),
        recursive: z.boolean({ error: "true or false" }).default(false),
    }).prefault({}),
});

const loggingSchema = strict({
    driver: z.enum(["json-file", "local"], { error: "json-file or local" }).default("json-file"),
    maxSize: z
        .string()
        .regex(/^\d+[kmg]$/, { error: "a size such as 10m" })
        .default("10m"),
    maxFile: int(1, 100, "files").default(5),
});

/**
 * Five-field cron, checked by croner (ranges, steps, lists, ranges in order) rather than by code of ours.
 * Only the numeric five-field language is taken (digits, `*`, `,`, `-`, `/`): the scheduler in the
 * container matches with Python's croniter, and names, `L`, `#`, `?` or a sixth field (seconds first
 * in croner, last in croniter) would be read differently or not at all on that side.
 * test/config.test.ts runs every expression through both libraries and checks they agree.
 */
export function isValidCron(expr: string): boolean {
    const fields = expr.trim().split(/\s+/);
    if (fields.length !== 5 || !fields.every((f) => /^[\d*,/-]+$/.test(f))) {
        return false;
    }
    try {
        new Cron(expr, { paused: true }).stop();
        return true;
    } catch {
        return false;
    }
}

/** cron's @daily-style macros (croner and croniter read them too; written out so the scheduler gets five fields). */
const CRON_MACROS: Readonly<Record<string, string>> = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
};

/**
 * Five-field cron from what operators bring along: cron's @daily-style macros, and frappe_docker's
 * `BACKUP_CRONSTRING` form `@every 6h` / `@every 30m` when it divides the day or hour evenly.
 * Anything else is returned unchanged (and then refused by isValidCron).
 */
function normalizeCron(expr: string): string {
    const text = expr.trim();
    const macro = CRON_MACROS[text];
    if (macro !== undefined) {
        return macro;
    }
    const every = /^@every\s+(\d+)([hm])$/.exec(text);
    if (every) {
        const n = Number(every[1]);
        if (every[2] === "h" && n >= 1 && n <= 24 && 24 % n === 0) {
            return n === 24 ? "0 0 * * *" : `0 */${n} * * *`;
        }
        if (every[2] === "m" && n >= 1 && n <= 60 && 60 % n === 0) {
            return n === 60 ? "0 * * * *" : `*/${n} * * * *`;
        }
    }
    return text;
}

const cron = z
    .string()
    .transform(normalizeCron)
    .refine(isValidCron, {
        error:
            'a five-field cron expression such as "0 */6 * * *" (minute 0-59, hour 0-23, day 1-31, month 1-12, ' +
            "weekday 0-7, steps >= 1), a macro such as @daily, or @every Nh / Nm dividing the day or hour",
    });

/**
 * Restore drills (docs/backups.md): `true` on the default schedule, a cron expression for another one,
 * `false` for none. Unset: on for the stack named production, off for the others (load.ts, drillSchedule).
 */
const verify = z.union([z.boolean(), cron], {
    error:
        'true, false or a five-field cron expression for the restore drills, such as "30 3 * * *" (the same ' +
        "forms as backup.schedule)",
});

const backupSchema = strict({
    schedule: cron.default("0 */6 * * *"),
    verify: verify.optional(),
    withFiles: z.boolean({ error: "true or false" }).default(true),
    keepLast: int(1, 1000, "number of backups per site to keep").default(28),
    offsite: strict({
        repository: z
            .string()
            .regex(/^s3:\S+\/\S+$/, {
                error: "a restic S3 repository such as s3:https://s3.eu-west-1.amazonaws.com/bucket/erp",
            })
            .refine((r) => !/^s3:[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(r), {
                error:
                    "a repository URL without credentials: this value is plain text in the stack file, the state, " +
                    "the backup container's environment and its log; remove user:password@ and set the keys as " +
                    `secrets instead: ${setSecretHint("s3AccessKeyId")} and ${setSecretHint("s3SecretAccessKey")}`,
            }),
        keepLast: int(1, 10000, "snapshots to keep").default(30),
    }).optional(),
});

const restoreSchema = strict({
    site: hostname,
    /** Backup timestamp prefix as Frappe names files: YYYYMMDD_HHMMSS. */
    backup: z.string().regex(/^\d{8}_\d{6}$/, { error: "a backup timestamp such as 20260101_120000" }),
    withFiles: z.boolean({ error: "true or false" }).default(true),
});

/**
 * A Docker volume name as the engine accepts it: moby's `RestrictedNamePattern`
 * (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`, moby/moby daemon/names/names.go, used by volume/local for volume names).
 */
const VOLUME_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const existingVolume = z.string().regex(VOLUME_NAME_PATTERN, {
    error: "the name of an existing Docker volume, such as erpnext_sites (docker volume ls)",
});

/**
 * `frappe:volumes`: existing Docker volumes (a frappe_docker compose project's) used as they are, in
 * place of the volumes this stack would otherwise create. The stack never creates, relabels, replaces
 * or deletes them: it registers no volume resource for them at all.
 */
const adoptedVolumesSchema = strict({
    sites: existingVolume.optional(),
    logs: existingVolume.optional(),
    "db-data": existingVolume.optional(),
    "redis-queue-data": existingVolume.optional(),
    "cert-data": existingVolume.optional(),
});

export const stackSchema = strict({
    image: z
        .string()
        .regex(REPOSITORY_PATTERN, {
            error: "an image repository without tag, such as frappe/erpnext or ghcr.io/acme/erp",
        })
        .default("frappe/erpnext"),
    tag: z.string().regex(TAG_PATTERN, { error: "a Docker tag such as v15.88.1" }).optional(),
    digest: z.string().regex(DIGEST_PATTERN, { error: "sha256: followed by 64 lowercase hex digits" }).optional(),
    sites: z.array(siteSchema).default([]),
    /**
     * How many sites the sites job works on at once (new sites, newly listed apps): each is a Frappe
     * process installing apps into its own database. A scalar key arrives as text, hence the coercion.
     */
    sitesParallel: z.coerce
        .number({ error: "sites at once: an integer between 1 and 16" })
        .int({ error: "sites at once: an integer between 1 and 16" })
        .min(1, { error: "sites at once: an integer between 1 and 16" })
        .max(16, { error: "sites at once: an integer between 1 and 16" })
        .default(2),
    db: dbSchema.prefault({}),
    redis: redisSchema.prefault({}),
    proxy: proxySchema.prefault({}),
    workers: workersSchema.prefault({}),
    gunicorn: gunicornSchema.prefault({}),
    frontend: frontendSchema.prefault({}),
    restartPolicy: z
        .enum(["unless-stopped", "always", "on-failure"], { error: "one of unless-stopped, always, on-failure" })
        .default("unless-stopped"),
    logging: loggingSchema.prefault({}),
    backup: backupSchema.prefault({}),
    restore: restoreSchema.optional(),
    build: buildConfigSchema.optional(),
    registry: registryConfigSchema.optional(),
    volumes: adoptedVolumesSchema.prefault({}),
    /** Render onto Docker Swarm services (see swarmSchema.ts and docs/swarm.md). */
    swarm: swarmConfigSchema.optional(),
});

export type RawStackConfig = z.output<typeof stackSchema>;

/** Keys that hold secrets: read only with `getSecret`, never validated by value. */
export const SECRET_KEYS = [
    "dbPassword",
    "adminPassword",
    "registryPassword",
    "gitToken",
    "resticPassword",
    "s3AccessKeyId",
    "s3SecretAccessKey",
    "redisPassword",
    "drillDbPassword",
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

/** Keys whose stack-config value is structured (an object or a list) rather than a plain string. */
export const STRUCTURED_KEYS: ReadonlySet<string> = new Set(
    Object.entries(stackSchema.shape)
        .filter(([, schema]) => isStructured(schema))
        .map(([key]) => key),
);

export const PLAIN_KEYS: readonly string[] = Object.keys(stackSchema.shape);

/** A rule that spans several keys; `path` is relative to `frappe:`. */
export interface CrossKeyProblem {
    readonly path: readonly (string | number)[];
    readonly expected: string;
    /** Top-level keys the rule reads; it is only reported when all of them are valid on their own. */
    readonly involves: readonly string[];
}

/** What a cross-key rule reads: the parsed config, the stack name and which secrets are set. */
interface RuleInput {
    readonly c: RawStackConfig;
    readonly stack: string;
    readonly presentSecrets: ReadonlySet<SecretKey>;
}

/** Reports a problem at `path`; `also` names the other top-level keys the rule read. */
type Report = (path: (string | number)[], expected: string, also?: string[]) => void;

type CrossKeyRule = (input: RuleInput, report: Report) => void;

/** Either a build or a tag; a build brings its own tag and digest. */
const imageSourceRule: CrossKeyRule = ({ c }, add) => {
    if (c.build) {
        // Production refusal and registry credentials are checked with the apps (buildSetupIssues).
        if (c.tag !== undefined) {
            add(["tag"], "no tag when frappe:build is set (the build derives the tag from apps.json)", ["build"]);
        }
        if (c.digest !== undefined) {
            add(["digest"], "no digest when frappe:build is set (the build's digest is used)", ["build"]);
        }
    } else if (c.tag === undefined) {
        add(["tag"], "an image tag such as v15.88.1 (required unless frappe:build is set)", ["build"]);
    }
};

/** Production never runs a moving tag unless a digest pins it. */
const productionPinRule: CrossKeyRule = ({ c, stack }, add) => {
    if (stack === "production" && c.tag !== undefined && !c.digest && isMovingRef(c.tag)) {
        add(["tag"], `${MOVING_REF_DESCRIPTION}; or set frappe:digest to pin it (production refuses moving tags)`, [
            "digest",
        ]);
    }
};

/** Site names are unique; each app is listed once per site, and never frappe itself. */
const sitesRule: CrossKeyRule = ({ c }, add) => {
    const seen = new Map<string, number>();
    c.sites.forEach((s, i) => {
        const first = seen.get(s.name);
        if (first !== undefined) {
            add(["sites", i, "name"], `a site name not already used (sites[${first}] has it)`);
        } else {
            seen.set(s.name, i);
        }
        const apps = new Set<string>();
        s.apps.forEach((a, j) => {
            if (apps.has(a)) {
                add(["sites", i, "apps", j], "each app listed once per site");
            }
            apps.add(a);
        });
        if (s.apps.includes("frappe")) {
            add(["sites", i, "apps", s.apps.indexOf("frappe")], "apps beyond frappe (every site has frappe)");
        }
    });
};

/** Custom worker names are unique and differ from Frappe's short and long. */
const workerNamesRule: CrossKeyRule = ({ c }, add) => {
    const workerNames = new Set<string>(["short", "long"]);
    c.workers.custom.forEach((w, i) => {
        if (workerNames.has(w.name)) {
            add(["workers", "custom", i, "name"], "a worker name not used yet (short and long are taken)");
        }
        workerNames.add(w.name);
    });
};

/** An external database needs a host and an engine, and has no image. */
const externalDatabaseRule: CrossKeyRule = ({ c }, add) => {
    if (c.db.type !== "external") {
        return;
    }
    if (!c.db.host) {
        add(["db", "host"], "the external database host (required when db.type is external)");
    }
    if (c.db.image !== undefined) {
        add(["db", "image"], "no image when db.type is external (no database container is run)");
    }
    if (c.db.engine === undefined) {
        add(
            ["db", "engine"],
            "mariadb or postgres: the engine of the external server (required when db.type is external; " +
                "it decides bench new-site --db-type and the default port)",
        );
    }
};

/** An in-stack database is reached as `db` on its default port, with the engine's own superuser. */
const inStackDatabaseRule: CrossKeyRule = ({ c }, add) => {
    if (c.db.type === "external") {
        return;
    }
    if (c.db.host !== undefined) {
        add(["db", "host"], `no host when db.type is ${c.db.type} (the in-stack container is reached as db)`);
    }
    if (c.db.engine !== undefined) {
        add(["db", "engine"], "engine only when db.type is external (otherwise type decides it)");
    }
    if (c.db.rootUser !== undefined) {
        add(
            ["db", "rootUser"],
            `rootUser only when db.type is external (the in-stack ${c.db.type} has its own superuser)`,
        );
    }
    if (c.db.port !== undefined) {
        add(
            ["db", "port"],
            `no port when db.type is ${c.db.type} (the in-stack server listens on ${DB_DEFAULTS[c.db.type].port} inside the stack network)`,
        );
    }
};

/** Redis is external for both cache and queue or for neither; only an external one takes a password. */
const redisRule: CrossKeyRule = ({ c, presentSecrets }, add) => {
    const externalCache = c.redis.cache !== undefined;
    const externalQueue = c.redis.queue !== undefined;
    if (externalCache !== externalQueue) {
        add(
            ["redis", externalCache ? "queue" : "cache"],
            "both redis.cache and redis.queue (external Redis needs both) or neither",
        );
    }
    if (!externalCache && !externalQueue && presentSecrets.has("redisPassword")) {
        add(["redisPassword"], "no redisPassword for the in-stack Redis (only an external one takes a password)", [
            "redis",
        ]);
    }
    if (externalCache && externalQueue && c.redis.image !== undefined) {
        add(["redis", "image"], "no image when Redis is external");
    }
};

/** Without a proxy there is nothing to configure for TLS or Traefik. */
const noProxyRule: CrossKeyRule = ({ c }, add) => {
    if (c.proxy.type !== "none") {
        return;
    }
    if (c.proxy.https) {
        add(["proxy", "https"], "https only with proxy.type traefik (nothing terminates TLS otherwise)");
    }
    if (c.proxy.image !== undefined) {
        add(["proxy", "image"], "no image when proxy.type is none");
    }
    if (c.proxy.httpsPort !== undefined) {
        add(["proxy", "httpsPort"], "httpsPort only with proxy.https");
    }
};

/** Traefik's HTTPS needs a site to certify and its own port. */
const traefikRule: CrossKeyRule = ({ c }, add) => {
    if (c.proxy.type === "none") {
        return;
    }
    if (!c.proxy.https && c.proxy.httpsPort !== undefined) {
        add(["proxy", "httpsPort"], "httpsPort only with proxy.https");
    }
    if (c.proxy.https && c.sites.length === 0) {
        add(["sites"], "at least one site when proxy.https is set (certificates are issued per site hostname)", [
            "proxy",
        ]);
    }
    const http = c.proxy.httpPort ?? 80;
    const https = c.proxy.httpsPort ?? 443;
    if (c.proxy.https && http === https) {
        add(["proxy", "httpsPort"], "a port different from httpPort");
    }
};

/** A pinned site name header names a configured site. */
const siteNameHeaderRule: CrossKeyRule = ({ c }, add) => {
    const pinned = c.frontend.siteNameHeader;
    if (pinned !== undefined && pinned !== "$host" && !c.sites.some((s) => s.name === pinned)) {
        add(["frontend", "siteNameHeader"], "$host or the name of a site in frappe:sites", ["sites"]);
    }
};

/** Offsite backups need restic's password and the S3 credentials. */
const offsiteSecretsRule: CrossKeyRule = ({ c, presentSecrets }, add) => {
    if (!c.backup.offsite) {
        return;
    }
    for (const k of ["resticPassword", "s3AccessKeyId", "s3SecretAccessKey"] as const) {
        if (!presentSecrets.has(k)) {
            add([k], `a secret, because backup.offsite is set: ${setSecretHint(k)}`, ["backup"]);
        }
    }
};

/** Adopted volumes: each Docker volume named once, and no database volume without an in-stack database. */
const adoptedVolumesRule: CrossKeyRule = ({ c }, add) => {
    const adopted = new Map<string, string>();
    for (const [key, volume] of Object.entries(c.volumes)) {
        if (volume === undefined) {
            continue;
        }
        const other = adopted.get(volume);
        if (other !== undefined) {
            add(["volumes", key], `a volume not already named by volumes.${other} (each holds different data)`);
        }
        adopted.set(volume, key);
    }
    if (c.volumes["db-data"] !== undefined && c.db.type === "external") {
        add(["volumes", "db-data"], "no db-data volume when db.type is external (no database container runs)", ["db"]);
    }
};

/** A restore goes into a configured site. */
const restoreSiteRule: CrossKeyRule = ({ c }, add) => {
    if (c.restore && !c.sites.some((s) => s.name === c.restore?.site)) {
        add(["restore", "site"], "the name of a site in frappe:sites", ["sites"]);
    }
};

/** `frappe:swarm` beyond its own shape, and what cannot work on Swarm (swarmSchema.ts). */
const swarmRule: CrossKeyRule = ({ c }, add) => {
    for (const p of swarmProblems(c)) {
        add(
            [...p.path],
            p.expected,
            p.involves.filter((k) => k !== String(p.path[0])),
        );
    }
};

/** Every rule zod's per-key schemas cannot express, in the order their problems are reported. */
const CROSS_KEY_RULES: readonly CrossKeyRule[] = [
    imageSourceRule,
    productionPinRule,
    sitesRule,
    workerNamesRule,
    externalDatabaseRule,
    inStackDatabaseRule,
    redisRule,
    noProxyRule,
    traefikRule,
    siteNameHeaderRule,
    offsiteSecretsRule,
    adoptedVolumesRule,
    restoreSiteRule,
    swarmRule,
];

/** The problems between keys, each rule a small named function over the parsed config. */
export function crossKeyProblems(
    c: RawStackConfig,
    stack: string,
    presentSecrets: ReadonlySet<SecretKey>,
): CrossKeyProblem[] {
    const problems: CrossKeyProblem[] = [];
    const add: Report = (path, expected, also = []) =>
        problems.push({ path, expected, involves: [String(path[0]), ...also] });
    for (const rule of CROSS_KEY_RULES) {
        rule({ c, stack, presentSecrets }, add);
    }
    return problems;
}
