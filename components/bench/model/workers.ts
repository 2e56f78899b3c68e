import { StackConfig } from "../../config/load";
import { STANDARD_QUEUES } from "../../config/schema";
import { ServiceSpec } from "./types";
import { Endpoints, FRAPPE, health, LOGS, pid1Runs, service, SITES, splitHostPort, tcpCheck } from "./processes";

/** Background workers: Frappe's short and long workers and the custom ones, each replica its own container. */

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

/** One kind of worker: its replicas share the alias, the queues and the labels. */
interface WorkerKind {
    readonly name: string;
    readonly role: ServiceSpec["role"];
    readonly replicas: number;
    /** Comma-separated, as `bench worker --queue` takes them. */
    readonly queues: string;
    readonly labels: Record<string, string>;
}

function workerKinds(c: StackConfig): WorkerKind[] {
    return [
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
}

function workerReplica(kind: WorkerKind, replica: number, e: Endpoints, after: string[]): ServiceSpec {
    const [queueHost, queuePort] = splitHostPort(e.redisQueue);
    return service(
        {
            key: `${kind.name}-${replica}`,
            role: kind.role,
            image: FRAPPE,
            aliases: [kind.name],
            env: {},
            mounts: [SITES, LOGS],
            healthcheck: health({
                tests: [
                    "CMD-SHELL",
                    `${pid1Runs(`worker --queue ${kind.queues}`)} && ${tcpCheck(queueHost, queuePort)}`,
                ],
                intervalSeconds: 30,
                timeoutSeconds: 10,
                startPeriodSeconds: 30,
                retries: 3,
            }),
            after,
        },
        // A worker in the middle of a job gets time to finish it (RQ warm shutdown on SIGTERM).
        {
            command: ["bench", "worker", "--queue", kind.queues],
            stopGraceSeconds: 300,
            labels: kind.labels,
            restartAfter: "configurator",
        },
    );
}

/** Every worker replica: short, long, then the custom workers in config order. */
export function workerServices(c: StackConfig, e: Endpoints, after: string[]): ServiceSpec[] {
    return workerKinds(c).flatMap((kind) =>
        Array.from({ length: kind.replicas }, (_, i) => workerReplica(kind, i + 1, e, after)),
    );
}
