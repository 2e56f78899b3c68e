import { StackConfig } from "../../config/load";
import { DB_DEFAULTS } from "../../config/schema";
import {
    ADMIN_PASSWORD_FILE,
    DB_ROOT_PASSWORD_FILE,
    FRAPPE_UID,
    LOGS_DIR,
    REDIS_PASSWORD_FILE,
    REDIS_PORT,
    SITES_DIR,
} from "../layout";
import { JobImage, JobParams, JobSpec, ProcessModel, SecretFile, ServiceSpec, VolumeMount } from "./types";
import { JobScriptFile } from "../scriptFiles";
import { JobScript } from "./jobScripts";

/**
 * The building blocks every part of the bench model shares: where the bench reaches its database
 * and Redis, the common mounts and secret files, and the constructors of a service and a job.
 */

export const FRAPPE = { kind: "frappe" } as const;
export const SITES: VolumeMount = { volume: "sites", containerPath: SITES_DIR };
export const LOGS: VolumeMount = { volume: "logs", containerPath: LOGS_DIR };

/** A secret file only the frappe user reads. */
export function frappeSecret(secret: SecretFile["secret"], path: string): SecretFile {
    return { secret, path, owner: FRAPPE_UID, mode: "0400" };
}

export const DB_SECRET = frappeSecret("dbPassword", DB_ROOT_PASSWORD_FILE);
export const REDIS_SECRET = frappeSecret("redisPassword", REDIS_PASSWORD_FILE);
export const ADMIN_SECRET = frappeSecret("adminPassword", ADMIN_PASSWORD_FILE);

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

export function splitHostPort(hp: string): [string, number] {
    const i = hp.lastIndexOf(":");
    return [hp.slice(0, i), Number(hp.slice(i + 1))];
}

/** A TCP check with bash's /dev/tcp: every Frappe image has bash, not every one has nc. */
export function tcpCheck(host: string, port: number): string {
    return `bash -c '</dev/tcp/${host}/${port}'`;
}

/** Whether the container's main process is the one expected (its command line contains `fragment`). */
export function pid1Runs(fragment: string): string {
    return `tr '\\0' ' ' < /proc/1/cmdline | grep -q '${fragment}'`;
}

/**
 * What identifies a service; everything else has the defaults `service()` fills in. Processes it comes
 * after are given as the processes themselves, never as typed-in keys.
 */
type ServiceIdentity = Pick<ServiceSpec, "key" | "role" | "image" | "aliases" | "env" | "mounts" | "healthcheck"> & {
    readonly after: readonly ProcessModel[];
};

/** Everything of a service beyond its identity; `restartAfter` is the job itself. */
type ServiceDefaults = Partial<Omit<ServiceSpec, "kind" | "restartAfter" | keyof ServiceIdentity>> & {
    readonly restartAfter?: JobSpec;
};

export function service(base: ServiceIdentity, more: ServiceDefaults = {}): ServiceSpec {
    const { restartAfter, ...rest } = more;
    return {
        kind: "service",
        // Placed by buildBenchModel (networks.ts), which knows what the stack runs.
        networks: [],
        ports: [],
        labels: {},
        secretFiles: [],
        files: [],
        stopGraceSeconds: 10,
        waitHealthy: false,
        healthTimeoutSeconds: 60,
        ...base,
        ...rest,
        after: keys(base.after),
        ...(restartAfter === undefined ? {} : { restartAfter: restartAfter.key }),
    };
}

/** The keys of processes referred to; duplicates (several copies of one reference) dropped. */
export function keys(processes: readonly ProcessModel[]): string[] {
    return [...new Set(processes.map((p) => p.key))];
}

/** Where the application processes stand in the order: after `after`, restarted after each configurator run. */
export interface AppOrder {
    readonly after: readonly ProcessModel[];
    readonly configurator: JobSpec;
}

/** Parameters every job shares, so that jobs keyed on the image re-run together and only then. */
export function jobParams(e: Endpoints, c: StackConfig): JobParams {
    return { DB_ROOT_USER: e.dbRootUser, FRAPPE_STACK: c.stack };
}

/** A script file run once in the Frappe image with the sites and logs volumes; its parameters join `params`. */
export interface JobOptions {
    readonly key: string;
    readonly role: JobSpec["role"];
    /** What the job does, for error messages. */
    readonly description: string;
    readonly script: JobScript;
    readonly after: readonly ProcessModel[];
    readonly params: JobParams;
    readonly secretFiles?: SecretFile[];
    /** Default: the deploy's Frappe image. */
    readonly image?: JobImage;
    /** Script files the job's script runs too. */
    readonly helpers?: readonly JobScriptFile[];
}

export function job(o: JobOptions): JobSpec {
    return {
        kind: "job",
        key: o.key,
        role: o.role,
        // Placed by buildBenchModel (networks.ts), which knows what the stack runs.
        networks: [],
        description: o.description,
        image: o.image ?? FRAPPE,
        entrypoint: ["bash", "-c"],
        script: o.script.file,
        helpers: o.helpers ?? [],
        params: { ...o.params, ...o.script.params },
        secretFiles: o.secretFiles ?? [],
        files: [],
        mounts: [SITES, LOGS],
        after: keys(o.after),
        chainsLaterJobs: true,
        followsChain: true,
        rerunAfter: [],
        triggers: [],
    };
}
