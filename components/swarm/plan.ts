import { durationSeconds, SwarmConfig } from "../config/swarmSchema";
import { ServiceSpec } from "../bench/model/types";
import { shortDuration } from "./durations";

/**
 * What Swarm needs beyond the model, decided as plain data: each service's replicas, placement,
 * update order, publish mode and convergence time. Nothing in this file knows about Pulumi resources.
 */

export type UpdateOrder = "start-first" | "stop-first";

/** Swarm settings of one service of the model. */
export interface SwarmServiceSettings {
    readonly replicas: number;
    readonly constraints: readonly string[];
    /** Update (and rollback) order: start-first keeps serving behind the healthcheck; stop-first never runs two. */
    readonly order: UpdateOrder;
    /** How published ports reach the tasks: `host` keeps client addresses (the proxy), `ingress` any node. */
    readonly publishMode: "host" | "ingress";
    /** How other services reach it by name: one virtual IP (needs IPVS) or its tasks' addresses. */
    readonly endpointMode: "vip" | "dnsrr";
    /** What Swarm does when a task of an update fails (see `failureAction`). */
    readonly failureAction: "pause" | "rollback";
    /** How long `pulumi up` waits for the service to converge (every task running and healthy). */
    readonly convergeTimeout: string;
}

/** Image pulls on a node that has never run the image, before the first healthcheck can pass. */
const PULL_ALLOWANCE_SECONDS = 300;

/**
 * Replicas, placement and update order per role; a role without a decision here is refused. A process
 * the model scales (workers) runs its `replicas`; backend, frontend and websocket as `frappe:swarm`
 * says; the others exactly once.
 */
export function roleSettings(
    spec: ServiceSpec,
    s: SwarmConfig,
): Pick<SwarmServiceSettings, "replicas" | "constraints" | "order"> {
    const free = { constraints: [] as string[], order: s.update.order };
    const single = { replicas: 1, order: "stop-first" as const };
    switch (spec.role) {
        case "backend":
            return { ...free, replicas: s.replicas.backend };
        case "frontend":
            return { ...free, replicas: s.replicas.frontend };
        case "websocket":
            return { ...free, replicas: s.replicas.websocket };
        case "queue-short":
        case "queue-long":
        case "queue-custom":
            return { ...free, replicas: spec.replicas ?? 1 };
        case "scheduler":
        case "backup-cron":
            // Exactly one: two schedulers enqueue every job twice, two backup-crons back up twice.
            return { ...single, constraints: [] };
        case "db":
            return { ...single, constraints: s.placement.db };
        case "redis-cache":
        case "redis-queue":
            return { ...single, constraints: s.placement.redis };
        case "proxy":
            return { ...single, constraints: s.placement.proxy };
        default:
            throw new Error(`swarm plan: service ${spec.key} has role ${spec.role}, which has no Swarm settings`);
    }
}

/**
 * Time for a service to converge: each round of `parallelism` tasks pulls, starts and passes its
 * healthcheck, then Swarm monitors it and waits `delay` before the next round.
 */
export function convergeSeconds(spec: ServiceSpec, replicas: number, s: SwarmConfig): number {
    const h = spec.healthcheck;
    const firstHealthy = Math.max(
        spec.healthTimeoutSeconds,
        h.startPeriodSeconds + h.intervalSeconds * (h.retries + 1),
    );
    const rounds = s.update.parallelism === 0 ? 1 : Math.ceil(Math.max(replicas, 1) / s.update.parallelism);
    const perRound = firstHealthy + (durationSeconds(s.update.monitor) ?? 0) + (durationSeconds(s.update.delay) ?? 0);
    return PULL_ALLOWANCE_SECONDS + rounds * perRound;
}

/**
 * What Swarm does when a task fails during an update of the service. A service running the bench's
 * image pauses: its update comes after this deploy's migration (the jobs run before the services
 * update), so rolling it back would run the previous release's code on the migrated schema. Paused,
 * the updated tasks stay as they are, the Swarm gate keeps the sites closed, and the next deploy (a
 * fixed release, or the previous tag once the pre-upgrade backup is restored) starts a new update
 * (a new spec clears the paused state). Database, Redis and the proxy roll back: nothing migrates with them.
 */
export function failureAction(spec: ServiceSpec): SwarmServiceSettings["failureAction"] {
    return spec.image.kind === "frappe" ? "pause" : "rollback";
}

/** Every Swarm setting of one service of the model. */
export function serviceSettings(spec: ServiceSpec, s: SwarmConfig): SwarmServiceSettings {
    const role = roleSettings(spec, s);
    return {
        ...role,
        // With dnsrr Swarm has no ingress routing mesh for the service: it publishes on the tasks' nodes only.
        publishMode: spec.role === "proxy" || s.endpointMode === "dnsrr" ? "host" : "ingress",
        endpointMode: s.endpointMode,
        failureAction: failureAction(spec),
        convergeTimeout: shortDuration(convergeSeconds(spec, role.replicas, s)),
    };
}
