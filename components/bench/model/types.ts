import { ContainerRole } from "../../conventions/naming";
import { SecretKey } from "../../config/schema";
import { JobScriptFile } from "../scriptFiles";

/**
 * The service model: what each process of the bench is, as plain data: images, commands, health in
 * seconds, how many copies, what comes after what, how the sites are reached. It knows nothing about
 * Pulumi or about how a target runs a process (container names, networks, proxy providers): each
 * renderer (components/docker/, components/swarm/) decides that.
 */

/** Named volumes of a stack. Every one holds data and is protected. */
export type VolumeKey = "sites" | "logs" | "db-data" | "redis-queue-data" | "cert-data";

export const VOLUME_KEYS: readonly VolumeKey[] = ["sites", "logs", "db-data", "redis-queue-data", "cert-data"];

/** The image a service runs: the bench's own Frappe image, or a fixed third-party image. */
export type ImageSpec = { readonly kind: "frappe" } | { readonly kind: "fixed"; readonly ref: string };

/**
 * The image a job runs: as a service's, or the image a process of the stack runs when the job starts
 * (`running`). A job of the second kind holds no image among its inputs, so a new image alone never
 * runs it, and it still runs the code its sites were last migrated with.
 */
export type JobImage = ImageSpec | { readonly kind: "running"; readonly process: string };

export interface VolumeMount {
    readonly volume: VolumeKey;
    readonly containerPath: string;
    readonly readOnly?: boolean;
}

/** A secret written to a file in the container (mode 0400); the process reads the file. */
export interface SecretFile {
    readonly secret: SecretKey;
    readonly path: string;
    /**
     * Owner (uid and gid) of the file: FRAPPE_UID for Frappe's processes; database images re-read their
     * `*_FILE` variables after dropping root, so their secret is root's and world-readable inside that
     * one container.
     */
    readonly owner: number;
    readonly mode: "0400" | "0444";
}

/** A non-secret file the process needs (scripts, configuration). */
export interface PlainFile {
    readonly path: string;
    readonly content: string;
    readonly executable: boolean;
}

/** How to tell the process is healthy, every duration in whole seconds. */
export interface Healthcheck {
    /** Docker's form: `["CMD", ...]` or `["CMD-SHELL", "<shell line>"]`. */
    readonly tests: readonly string[];
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly startPeriodSeconds: number;
    readonly retries: number;
}

export interface PublishedPort {
    readonly internal: number;
    readonly external: number;
    /** The host address it listens on; unset, every interface. */
    readonly address?: string;
}

/**
 * The stack's networks by what they connect (frappe_docker's compose.multi-bench.yaml splits a bench the
 * same way: traefik-public, the bench's own network, mariadb-network):
 * - `edge`: the proxy and the entry it forwards to (nothing else, so the entry can trust it by address);
 * - `bench`: the application processes and the entry; they keep their way out (email, integrations);
 * - `data`: the database, Redis and their clients, with no way out (Docker's internal network).
 */
export type NetworkKey = "edge" | "bench" | "data";

/** A network of the stack as intent; each renderer creates it its own way. */
export interface NetworkSpec {
    readonly key: NetworkKey;
    /** No route out of the host or the Swarm (Docker's `internal`): what runs only there has no egress. */
    readonly internal: boolean;
}

interface ProcessSpec {
    /** Unique key within the stack; the renderers name resources after it. */
    readonly key: string;
    readonly role: ContainerRole;
    /**
     * The networks the process joins (networks.ts decides, by what it talks to). A job's first one is
     * where it starts; it joins the others before it runs.
     */
    readonly networks: readonly NetworkKey[];
    readonly entrypoint?: readonly string[];
    readonly command?: readonly string[];
    readonly secretFiles: readonly SecretFile[];
    readonly files: readonly PlainFile[];
    readonly mounts: readonly VolumeMount[];
    /**
     * Keys of processes that must be ready (services) or have succeeded (jobs) first. The model's
     * constructors take the processes themselves, and buildBenchModel checks every key.
     */
    readonly after: readonly string[];
}

/** A long-running process. */
export interface ServiceSpec extends ProcessSpec {
    readonly kind: "service";
    readonly image: ImageSpec;
    /** DNS names on each network it joins (frappe_docker's service names). */
    readonly aliases: readonly string[];
    /** Plain environment. Never holds a secret; secrets travel as `secretFiles`. */
    readonly env: Readonly<Record<string, string>>;
    /** Ports published outside the stack. */
    readonly ports: readonly PublishedPort[];
    readonly healthcheck: Healthcheck;
    /** Extra labels (e.g. a worker's queue); the renderer adds the standard stack/role labels and any routing. */
    readonly labels: Readonly<Record<string, string>>;
    /** Seconds to let the process shut down cleanly before it is killed on replace/delete. */
    readonly stopGraceSeconds: number;
    /** Whether dependants wait for the healthcheck to pass (compose's `service_healthy`). */
    readonly waitHealthy: boolean;
    /** Seconds to wait for health when `waitHealthy`. */
    readonly healthTimeoutSeconds: number;
    /**
     * Set on processes the operator scales by count (workers): how many identical copies run. Unset:
     * the process is one of a kind.
     */
    readonly replicas?: number;
    /**
     * A job whose every run must restart this process: the configurator rewrites
     * common_site_config.json, which running Frappe processes have cached (queues, Redis URLs).
     */
    readonly restartAfter?: string;
}

/** A run-once process whose exit code gates everything that comes after it. */
export interface JobSpec extends ProcessSpec {
    readonly kind: "job";
    /**
     * What the job is, for people reading the model ("back up every site before migrating"). Not an
     * input of the job's command: the failure message takes the script's `# Job:` line instead.
     */
    readonly description: string;
    readonly image: JobImage;
    /** The script the job's container runs (a file of components/bench/scripts/). */
    readonly script: JobScriptFile;
    /** Script files the job's script runs too; the runner writes them into $FRAPPE_JOB_HELPERS_DIR. */
    readonly helpers: readonly JobScriptFile[];
    /**
     * What the script reads from its environment, typed. Never a secret (secrets travel as
     * `secretFiles`); the job runner turns them into strings.
     */
    readonly params: JobParams;
    /**
     * Whether a run of this job makes the jobs after it run too. True for the steps of the upgrade
     * sequence (once maintenance-on ran, maintenance-off must run); false for the configurator, which
     * never closes a site and whose changes reach the running containers by recreating them.
     */
    readonly chainsLaterJobs: boolean;
    /**
     * Whether the runs of the chaining jobs before it make this job run (true for the steps of a
     * window). False for work outside any window that runs for its own inputs only (the sites job).
     */
    readonly followsChain: boolean;
    /** Jobs whose runs make this one run besides the chain (maintenance-off: the database guard). */
    readonly rerunAfter: readonly string[];
    /** Values that make this job run when they change, besides its own inputs (e.g. a restore to do). */
    readonly triggers: readonly string[];
    /**
     * Set on a job that reopens the sites: it may run only while these processes are healthy. How that
     * is enforced is the renderer's decision.
     */
    readonly healthGate?: HealthGate;
    /**
     * Set on the job that must finish before the stack's database server runs a new image: it runs
     * only when the server really changes, and refuses a change its data files could not take. How the
     * running server is found is the renderer's decision.
     */
    readonly guardsServer?: ServerChange;
}

/** A database server about to run a new image. */
export interface ServerChange {
    /** Key of the database process. */
    readonly process: string;
    readonly engine: "mariadb" | "postgres";
    /** The image it is to run. */
    readonly image: string;
}

/** Processes that must be healthy before a job runs: every copy of some roles, and some named processes. */
export interface HealthGate {
    /** Roles whose every running copy must be healthy, however many there are (none is fine). */
    readonly roles: readonly ContainerRole[];
    /** Keys of one-of-a-kind processes that must be running and healthy. */
    readonly processes: readonly string[];
}

/** A value a job script reads from its environment. */
export type JobParam = string | number | boolean | readonly string[] | JsonObject;
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;
export interface JsonObject {
    readonly [key: string]: JsonValue;
}
/** A job's parameters by the environment variable its script reads each from. */
export type JobParams = Readonly<Record<string, JobParam>>;

export type ProcessModel = ServiceSpec | JobSpec;

/** How the sites are reached through the in-stack proxy (none when `proxy.type` is none). */
export interface Routing {
    /** Key of the proxy process: it takes HTTP (and HTTPS) from outside and forwards to the entry. */
    readonly proxy: string;
    /** The process that serves every site, and the port it listens on. */
    readonly entry: { readonly process: string; readonly port: number };
    /** Site hostnames; with TLS, a certificate is obtained for each. */
    readonly hosts: readonly string[];
    /** HTTPS with certificates from Let's Encrypt (ACME), registered with this email; unset: HTTP only. */
    readonly tls?: { readonly acmeEmail: string };
    /**
     * The entry's environment variable that lists whom it trusts X-Forwarded-For from, when that must be
     * the proxy's network (only the renderer knows its address range); unset when the operator named it.
     */
    readonly trustProxyNetworkIn?: string;
}

/** Everything the bench consists of, in dependency order. */
export interface BenchModel {
    readonly processes: readonly ProcessModel[];
    /** The networks the processes join, each at least one process's. */
    readonly networks: readonly NetworkSpec[];
    readonly volumes: readonly VolumeKey[];
    readonly routing?: Routing;
}

/**
 * The jobs whose runs make `key` run, in model order: the chaining jobs before it (directly or through
 * services) unless it does not follow the chain, and its `rerunAfter`. When one of them runs in a
 * deploy, `key` must run too: after a failed deploy, maintenance-on may have run again with nothing
 * changed for maintenance-off, which would then never reopen the sites.
 */
export function jobsBefore(model: BenchModel, key: string): string[] {
    const byKey = new Map(model.processes.map((p) => [p.key, p]));
    const self = byKey.get(key);
    if (self?.kind === "job" && !self.followsChain) {
        return [...self.rerunAfter];
    }
    const seen = new Set<string>();
    const visit = (k: string) => {
        for (const dep of byKey.get(k)?.after ?? []) {
            if (!seen.has(dep)) {
                seen.add(dep);
                visit(dep);
            }
        }
    };
    visit(key);
    const extra = new Set(self?.kind === "job" ? self.rerunAfter : []);
    return model.processes
        .filter((p) => p.kind === "job" && ((p.chainsLaterJobs && seen.has(p.key)) || extra.has(p.key)))
        .map((p) => p.key);
}
