import { StackConfig } from "../../config/load";
import { STANDARD_QUEUES } from "../../config/schema";
import { ServiceSpec } from "./types";
import { AppOrder, Endpoints, FRAPPE, LOGS, pid1Runs, service, SITES, splitHostPort, tcpCheck } from "./processes";

/** Background workers: Frappe's short and long workers and the custom ones, each kind with a number of copies. */

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

/** One kind of worker: its copies share the alias, the queues and the labels. */
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

function worker(kind: WorkerKind, e: Endpoints, o: AppOrder): ServiceSpec {
    const [queueHost, queuePort] = splitHostPort(e.redisQueue);
    return service(
        {
            key: kind.name,
            role: kind.role,
            image: FRAPPE,
            aliases: [kind.name],
            env: {},
            mounts: [SITES, LOGS],
            healthcheck: {
                tests: [
                    "CMD-SHELL",
                    `${pid1Runs(`worker --queue ${kind.queues}`)} && ${tcpCheck(queueHost, queuePort)}`,
                ],
                intervalSeconds: 30,
                timeoutSeconds: 10,
                startPeriodSeconds: 30,
                retries: 3,
            },
            after: o.after,
        },
        // A worker in the middle of a job gets time to finish it (RQ warm shutdown on SIGTERM).
        {
            command: ["bench", "worker", "--queue", kind.queues],
            stopGraceSeconds: 300,
            labels: kind.labels,
            replicas: kind.replicas,
            restartAfter: o.configurator,
        },
    );
}

/**
 * Every kind of worker that runs, each with its number of copies: short, long, then the custom
 * workers in config order. A kind scaled to 0 is not part of the bench.
 */
export function workerServices(c: StackConfig, e: Endpoints, o: AppOrder): ServiceSpec[] {
    return workerKinds(c)
        .filter((kind) => kind.replicas > 0)
        .map((kind) => worker(kind, e, o));
}
