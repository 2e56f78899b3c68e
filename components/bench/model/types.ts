import { ContainerRole } from "../../conventions/naming";
import { SecretKey } from "../../config/schema";
import { ScriptFile } from "../scriptFiles";

/**
 * The service model: what each process of the bench is, as plain data. It knows nothing about
 * Pulumi or Docker resources, so it can be tested exactly and rendered onto other targets
 * (single-host containers today, Swarm services later) without change.
 */

/** Named volumes of a stack. Every one holds data and is protected. */
export type VolumeKey = "sites" | "logs" | "db-data" | "redis-queue-data" | "cert-data";

export const VOLUME_KEYS: readonly VolumeKey[] = ["sites", "logs", "db-data", "redis-queue-data", "cert-data"];

/** The image a service runs: the bench's own Frappe image, or a fixed third-party image. */
export type ImageSpec = { readonly kind: "frappe" } | { readonly kind: "fixed"; readonly ref: string };

export interface VolumeMount {
    readonly volume: VolumeKey;
    readonly containerPath: string;
    readonly readOnly?: boolean;
}

export interface HostBind {
    readonly hostPath: string;
    readonly containerPath: string;
    readonly readOnly: boolean;
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

/** Docker healthcheck; durations are canonical Go durations (`5s`, `1m0s`) so Docker's read-back matches. */
export interface Healthcheck {
    readonly tests: readonly string[];
    readonly interval: string;
    readonly timeout: string;
    readonly startPeriod: string;
    readonly retries: number;
}

export interface PublishedPort {
    readonly internal: number;
    readonly external: number;
}

interface ProcessSpec {
    /** Unique key within the stack; becomes the container name suffix and resource name. */
    readonly key: string;
    readonly role: ContainerRole;
    readonly image: ImageSpec;
    readonly entrypoint?: readonly string[];
    readonly command?: readonly string[];
    /** Plain environment. Never holds a secret; secrets travel as `secretFiles`. */
    readonly env: Readonly<Record<string, string>>;
    readonly secretFiles: readonly SecretFile[];
    readonly files: readonly PlainFile[];
    readonly mounts: readonly VolumeMount[];
    /** Keys of processes that must be ready (services) or have succeeded (jobs) first. */
    readonly after: readonly string[];
}

/** A long-running process. */
export interface ServiceSpec extends ProcessSpec {
    readonly kind: "service";
    /** DNS names on the stack network (frappe_docker's service names). */
    readonly aliases: readonly string[];
    readonly binds: readonly HostBind[];
    readonly ports: readonly PublishedPort[];
    readonly healthcheck: Healthcheck;
    /** Extra labels (e.g. Traefik routing); the standard stack/role labels are added by the renderer. */
    readonly labels: Readonly<Record<string, string>>;
    /** Seconds to let the process shut down cleanly before it is killed on replace/delete. */
    readonly stopGraceSeconds: number;
    /** Whether dependants wait for the healthcheck to pass (compose's `service_healthy`). */
    readonly waitHealthy: boolean;
    /** Seconds to wait for health when `waitHealthy`. */
    readonly healthTimeoutSeconds: number;
    readonly usernsMode?: "host";
    /**
     * A job whose every run must recreate this container: the configurator rewrites
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
    /** The script the job's container runs (a file of components/bench/scripts/); its parameters are in `env`. */
    readonly script: ScriptFile;
    /**
     * Whether a run of this job makes the jobs after it run too. True for the steps of the upgrade
     * sequence (once maintenance-on ran, maintenance-off must run); false for the configurator, which
     * never closes a site and whose changes reach the running containers by recreating them.
     */
    readonly chainsLaterJobs: boolean;
    /** Values that make this job run when they change, besides its own inputs (e.g. a restore to do). */
    readonly triggers: readonly string[];
    /**
     * Set on a job that reopens the sites: its run starts with the health gate (scripts/health-gate.sh),
     * in the same step, so the sites are reopened only while every app process is healthy.
     */
    readonly healthGate?: HealthGateSpec;
}

/** What the health gate checks: the app process containers of the stack, by role and by name. */
export interface HealthGateSpec {
    /** frappe.role values of the app processes. */
    readonly roles: readonly ContainerRole[];
    /** Process keys whose containers must exist (and be healthy). */
    readonly expect: readonly string[];
}

export type ProcessModel = ServiceSpec | JobSpec;

/** Everything the bench consists of, in dependency order. */
export interface BenchModel {
    readonly processes: readonly ProcessModel[];
    readonly volumes: readonly VolumeKey[];
}

/**
 * The jobs before `key` (directly or through services) whose runs chain, in model order. When one of
 * them runs in a deploy, `key` must run too: after a failed deploy, maintenance-on may have run
 * again with nothing changed for maintenance-off, which would then never reopen the sites.
 */
export function jobsBefore(model: BenchModel, key: string): string[] {
    const byKey = new Map(model.processes.map((p) => [p.key, p]));
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
    return model.processes.filter((p) => p.kind === "job" && p.chainsLaterJobs && seen.has(p.key)).map((p) => p.key);
}

/** Go's `time.Duration.String()` for whole seconds: 5s, 1m0s, 1m30s, 1h0m0s. */
export function goDuration(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds < 0) {
        throw new Error(`goDuration: expected a non-negative whole number of seconds, got ${seconds}`);
    }
    if (seconds === 0) {
        return "0s";
    }
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h > 0) {
        return `${h}h${m}m${s}s`;
    }
    if (m > 0) {
        return `${m}m${s}s`;
    }
    return `${s}s`;
}
