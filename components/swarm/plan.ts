import { durationSeconds, SwarmConfig } from "../config/swarmSchema";
import { BenchModel, ProcessModel, ServiceSpec } from "../bench/model/types";
import { DOCKER_PRIVATE_RANGE } from "../bench/model/proxy";
import { shortDuration } from "./durations";

/**
 * What Swarm needs beyond the service model, decided as plain data: the model's processes stay what
 * they are (same images, commands, env, healthchecks, order), and each service gets its replicas,
 * placement and update policy here. Nothing in this file knows about Pulumi resources.
 */

/**
 * Where Swarm puts overlay networks unless `docker swarm init --default-addr-pool` says otherwise
 * (10.0.0.0/8, Docker's swarm init reference). Behind the in-stack Traefik, nginx trusts
 * X-Forwarded-For from there, as it trusts Docker's bridge range on one host.
 */
export const SWARM_OVERLAY_RANGE = "10.0.0.0/8";

export type UpdateOrder = "start-first" | "stop-first";

/** Swarm settings of one service of the model. */
export interface SwarmServiceSettings {
    readonly replicas: number;
    readonly constraints: readonly string[];
    /** Update (and rollback) order: start-first keeps serving behind the healthcheck; stop-first never runs two. */
    readonly order: UpdateOrder;
    /** How published ports reach the tasks: `host` keeps client addresses (the proxy), `ingress` any node. */
    readonly publishMode: "host" | "ingress";
    /** How long `pulumi up` waits for the service to converge (every task running and healthy). */
    readonly convergeTimeout: string;
}

/** The model as Swarm runs it, plus the settings of each of its services. */
export interface SwarmPlan {
    readonly model: BenchModel;
    readonly services: Readonly<Record<string, SwarmServiceSettings>>;
}

export interface SwarmPlanInput {
    readonly swarm: SwarmConfig;
    /** Whether `frappe:frontend.upstreamRealIp.address` was set (then it is kept as it is). */
    readonly realIpAddressSet: boolean;
}

/** Image pulls on a node that has never run the image, before the first healthcheck can pass. */
const PULL_ALLOWANCE_SECONDS = 300;

/**
 * Workers are one container per replica on one host (`queue-short-1`, `queue-short-2`); on Swarm they
 * are one service (`queue-short`) with that many replicas. Returns the merged specs and a map from
 * each old key to the merged key.
 */
export function mergeReplicas(processes: readonly ProcessModel[]): {
    processes: ProcessModel[];
    counts: Map<string, number>;
    renamed: Map<string, string>;
} {
    const counts = new Map<string, number>();
    const renamed = new Map<string, string>();
    const out: ProcessModel[] = [];
    for (const p of processes) {
        const group = p.kind === "service" ? p.aliases[0] : undefined;
        const replica = group !== undefined && new RegExp(`^${group}-\\d+$`).test(p.key) && group.startsWith("queue-");
        if (!replica || group === undefined) {
            out.push(p);
            continue;
        }
        renamed.set(p.key, group);
        if (!counts.has(group)) {
            out.push({ ...p, key: group });
        }
        counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    const remap = (keys: readonly string[]) => [...new Set(keys.map((k) => renamed.get(k) ?? k))];
    return { processes: out.map((p) => ({ ...p, after: remap(p.after) })), counts, renamed };
}

/** Traefik reads Swarm services through its swarm provider, with the same options as the docker one. */
export function swarmTraefikArgs(args: readonly string[]): string[] {
    return args.map((a) => a.replace(/^--providers\.docker(?=[.=])/, "--providers.swarm"));
}

/** Service labels for Traefik's swarm provider: `traefik.docker.network` is `traefik.swarm.network` there. */
export function swarmTraefikLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels)) {
        out[k === "traefik.docker.network" ? "traefik.swarm.network" : k] = v;
    }
    return out;
}

/** The few values of a service that differ on Swarm; everything else is the model's. */
export function adjustForSwarm(spec: ServiceSpec, input: SwarmPlanInput): ServiceSpec {
    if (spec.role === "proxy") {
        return { ...spec, command: swarmTraefikArgs(spec.command ?? []) };
    }
    if (spec.role === "frontend") {
        const env = { ...spec.env };
        if (!input.realIpAddressSet && env.UPSTREAM_REAL_IP_ADDRESS === DOCKER_PRIVATE_RANGE) {
            env.UPSTREAM_REAL_IP_ADDRESS = SWARM_OVERLAY_RANGE;
        }
        return { ...spec, env, labels: swarmTraefikLabels(spec.labels) };
    }
    return spec;
}

/** Replicas, placement and update order per role; a role without a decision here is refused. */
export function roleSettings(
    spec: ServiceSpec,
    merged: number,
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
            return { ...free, replicas: merged };
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
        (durationSeconds(h.startPeriod) ?? 0) + (durationSeconds(h.interval) ?? 0) * (h.retries + 1),
    );
    const rounds = s.update.parallelism === 0 ? 1 : Math.ceil(Math.max(replicas, 1) / s.update.parallelism);
    const perRound = firstHealthy + (durationSeconds(s.update.monitor) ?? 0) + (durationSeconds(s.update.delay) ?? 0);
    return PULL_ALLOWANCE_SECONDS + rounds * perRound;
}

/** The Swarm rendering of a bench model: merged worker replicas, Swarm-specific values, settings per service. */
export function planSwarm(model: BenchModel, input: SwarmPlanInput): SwarmPlan {
    const { processes, counts } = mergeReplicas(model.processes);
    const services: Record<string, SwarmServiceSettings> = {};
    const adjusted = processes.map((p) => {
        if (p.kind !== "service") {
            // The health gate finds app containers by name and label on one Docker host; Swarm's task
            // containers are named per task and spread over nodes, so the gate is not ported to Swarm yet
            // (the job keeps the behaviour it had: it reopens once every service converged).
            return p.healthGate === undefined ? p : { ...p, healthGate: undefined };
        }
        const spec = adjustForSwarm(p, input);
        const role = roleSettings(spec, counts.get(spec.key) ?? 1, input.swarm);
        services[spec.key] = {
            ...role,
            publishMode: spec.role === "proxy" ? "host" : "ingress",
            convergeTimeout: shortDuration(convergeSeconds(spec, role.replicas, input.swarm)),
        };
        return spec;
    });
    return { model: { ...model, processes: adjusted }, services };
}
