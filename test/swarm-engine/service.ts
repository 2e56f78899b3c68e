import { Engine, EngineError, filtersQuery } from "./engineApi";
import { createConvergeConfig, createServiceSpec, imageWithTag, registryAuthHeader } from "./provider";

/**
 * The docker.Service lifecycle of kreuzwerker/terraform-provider-docker v4.5.0
 * internal/provider/resource_docker_service_funcs.go (resourceDockerServiceCreate, ...Update,
 * ...Delete and the "Convergers"), against one manager's Engine API, with the client calls of the
 * provider's moby client (client/service_create.go, service_update.go) and the wait loop of
 * terraform-plugin-sdk v2 helper/retry/state.go (StateChangeConf.WaitForStateContext).
 */

type Obj = Record<string, unknown>;

export interface Task {
    readonly ID: string;
    readonly Slot?: number;
    readonly NodeID?: string;
    readonly DesiredState: string;
    readonly Status: {
        readonly State: string;
        readonly Err?: string;
        readonly ContainerStatus?: { ContainerID?: string };
    };
}

export interface ServiceInspect {
    readonly ID: string;
    readonly Version: { readonly Index: number };
    readonly Spec: Obj & { Mode?: { Replicated?: { Replicas?: number } } };
    readonly UpdateStatus?: { readonly State?: string; readonly Message?: string };
}

/** numberedStates: task states in the order of the task state machine. */
const NUMBERED_STATES: Record<string, number> = {
    new: 1,
    allocated: 2,
    pending: 3,
    assigned: 4,
    accepted: 5,
    preparing: 6,
    ready: 7,
    starting: 8,
    running: 9,
    complete: 10,
    shutdown: 11,
    failed: 12,
    rejected: 13,
};

/** terminalState: a state past running. */
function terminalState(state: string): boolean {
    return (NUMBERED_STATES[state] ?? 0) > NUMBERED_STATES.running;
}

/** tasksBySlot: one task per slot (lowest desired state, then lowest observed state), on active nodes only. */
export function tasksBySlot(tasks: readonly Task[], activeNodes: ReadonlySet<string>): Map<number, Task> {
    const bySlot = new Map<number, Task>();
    const n = (s: string) => NUMBERED_STATES[s] ?? 0;
    for (const task of tasks) {
        if (n(task.DesiredState) === 0 || n(task.Status.State) === 0) {
            continue;
        }
        const slot = task.Slot ?? 0;
        const existing = bySlot.get(slot);
        if (existing !== undefined) {
            if (n(existing.DesiredState) < n(task.DesiredState)) {
                continue;
            }
            if (n(existing.DesiredState) === n(task.DesiredState) && n(existing.Status.State) <= n(task.Status.State)) {
                continue;
            }
        }
        if (task.NodeID !== undefined && task.NodeID !== "" && !activeNodes.has(task.NodeID)) {
            continue;
        }
        bySlot.set(slot, task);
    }
    return bySlot;
}

/**
 * replicatedConsoleLogUpdater.update: whether as many slots hold a running task (desired state not past
 * running) as the spec has replicas. Nothing compares a task's spec with the service's.
 */
export function replicatedDone(service: ServiceInspect, tasks: readonly Task[], activeNodes: ReadonlySet<string>) {
    const replicas = service.Spec.Mode?.Replicated?.Replicas;
    if (replicas === undefined) {
        throw new Error("no replica count");
    }
    let running = 0;
    for (const task of tasksBySlot(tasks, activeNodes).values()) {
        if (!terminalState(task.DesiredState) && task.Status.State === "running") {
            running++;
        }
    }
    return running === replicas;
}

/** getActiveNodes: nodes not down. */
async function activeNodes(engine: Engine): Promise<Set<string>> {
    const nodes = await engine.call<{ ID: string; Status: { State: string } }[]>("GET", "/nodes");
    return new Set(nodes.filter((n) => n.Status.State !== "down").map((n) => n.ID));
}

/** The refresh funcs' task query: the service's tasks whose desired state is running. */
function runningTasks(engine: Engine, serviceId: string): Promise<Task[]> {
    return engine.call<Task[]>("GET", `/tasks?${filtersQuery({ service: [serviceId], "desired-state": ["running"] })}`);
}

function inspect(engine: Engine, id: string): Promise<ServiceInspect> {
    return engine.call<ServiceInspect>("GET", `/services/${id}`);
}

/** resourceDockerServiceCreateRefreshFunc: "running" once every replica runs, else "creating". */
export async function createRefresh(engine: Engine, id: string): Promise<string> {
    const service = await inspect(engine, id);
    const tasks = await runningTasks(engine, id);
    return replicatedDone(service, tasks, await activeNodes(engine)) ? "running" : "creating";
}

/**
 * resourceDockerServiceUpdateRefreshFunc: UpdateStatus completed ends the wait; rollback_completed,
 * paused and rollback_paused are errors; otherwise (updating, rollback_started, or no status yet) the
 * running tasks are counted as on create, and a full count is "completed" (an error after a rollback).
 */
export async function updateRefresh(engine: Engine, id: string): Promise<string> {
    const service = await inspect(engine, id);
    const status = service.UpdateStatus;
    let rollback = false;
    switch (status?.State) {
        case "completed":
            return "completed";
        case "rollback_started":
            rollback = true;
            break;
        case "rollback_completed":
            throw new Error(`service rollback completed: ${status.Message ?? ""}`);
        case "paused":
            throw new Error(`service update paused: ${status.Message ?? ""}`);
        case "rollback_paused":
            throw new Error(`service rollback paused: ${status.Message ?? ""}`);
    }
    const tasks = await runningTasks(engine, id);
    if (replicatedDone(service, tasks, await activeNodes(engine))) {
        if (rollback) {
            throw new Error(`service rollback completed: ${status?.Message ?? ""}`);
        }
        return "completed";
    }
    return "updating";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * StateChangeConf.WaitForStateContext: waits `delay`, refreshes at once, then after 5 s (MinTimeout),
 * 10 s, 10 s, ... (the backoff starts at 100 ms, doubles, is raised to MinTimeout and capped at 10 s);
 * a target state ends it, a pending one goes on, any other state or a refresh error fails it, and
 * after `timeout` it fails as a timeout.
 */
export async function waitForState(conf: {
    delayMs: number;
    timeoutMs: number;
    minTimeoutMs: number;
    pending: readonly string[];
    target: readonly string[];
    refresh: () => Promise<string>;
}): Promise<string> {
    const deadline = Date.now() + conf.timeoutMs;
    await sleep(Math.min(conf.delayMs, conf.timeoutMs));
    let wait = 0;
    let last = "";
    while (Date.now() < deadline) {
        await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
        if (wait === 0) {
            wait = 100;
        }
        if (Date.now() >= deadline) {
            break;
        }
        last = await conf.refresh();
        if (conf.target.includes(last)) {
            return last;
        }
        if (!conf.pending.includes(last)) {
            throw new Error(`unexpected state '${last}', wanted target '${conf.target.join(", ")}'`);
        }
        wait = Math.min(Math.max(wait * 2, conf.minTimeoutMs), 10_000);
    }
    throw new Error(`timeout while waiting for state to become '${conf.target.join(", ")}' (last state: '${last}')`);
}

const CREATE_PENDING = [
    "new",
    "allocated",
    "pending",
    "assigned",
    "accepted",
    "preparing",
    "ready",
    "starting",
    "creating",
    "paused",
];
const UPDATE_PENDING = ["creating", "updating"];

export interface ServiceStep {
    readonly id: string;
    /** Warnings the client returns (e.g. the image could not be pinned to a digest). */
    readonly warnings: string[];
}

/**
 * moby client ServiceCreate with QueryRegistry (set by resourceDockerServiceCreate): the image gets a
 * tag, the client asks the registry for its digest (GET /distribution/<image>/json) and, when that
 * fails, keeps the tag and returns a warning.
 */
async function clientServiceCreate(engine: Engine, spec: Obj, auth: string): Promise<ServiceStep> {
    const task = spec.TaskTemplate as { ContainerSpec: { Image: string } };
    task.ContainerSpec.Image = imageWithTag(task.ContainerSpec.Image);
    const headers = { "X-Registry-Auth": auth };
    const dist = await engine.request("GET", `/distribution/${task.ContainerSpec.Image}/json`, { headers });
    const warnings: string[] = [];
    if (dist.status >= 400) {
        warnings.push(`image ${task.ContainerSpec.Image} could not be accessed on a registry to record its digest`);
    } else {
        const digest = (dist.body as { Descriptor: { digest: string } }).Descriptor.digest;
        task.ContainerSpec.Image = `${task.ContainerSpec.Image}@${digest}`;
    }
    const created = await engine.call<{ ID: string; Warnings?: string[] }>("POST", "/services/create", {
        body: spec,
        headers,
    });
    return { id: created.ID, warnings: [...warnings, ...(created.Warnings ?? [])] };
}

/** The create wait's failure: DidNotConvergeError for a timeout, the refresh's error otherwise. */
function convergeError(id: string, timeoutRaw: string, e: unknown): Error {
    const message = e instanceof Error ? e.message : String(e);
    return new Error(
        message.includes("timeout while waiting for state")
            ? `Service with ID (${id}) did not converge after ${timeoutRaw}`
            : message,
    );
}

/** resourceDockerServiceCreate: create, then (with converge_config) wait; a service that does not converge is deleted. */
export async function serviceCreate(engine: Engine, inputs: Obj): Promise<ServiceStep> {
    const step = await clientServiceCreate(engine, createServiceSpec(inputs), registryAuthHeader(inputs));
    const converge = createConvergeConfig(inputs);
    if (converge !== undefined) {
        try {
            await waitForState({
                delayMs: converge.delayMs,
                timeoutMs: converge.timeoutMs,
                minTimeoutMs: 5000,
                pending: CREATE_PENDING,
                target: ["running", "complete"],
                refresh: () => createRefresh(engine, step.id),
            });
        } catch (e) {
            await serviceDelete(engine, step.id, inputs);
            throw convergeError(step.id, converge.timeoutRaw, e);
        }
    }
    return step;
}

/**
 * resourceDockerServiceUpdate: inspect for the version, ServiceUpdate with the new spec (the client
 * tags the image; no registry query on update), then (with converge_config) wait with a fixed 7 s delay.
 */
export async function serviceUpdate(engine: Engine, id: string, inputs: Obj): Promise<ServiceStep> {
    const current = await inspect(engine, id);
    const spec = createServiceSpec(inputs);
    const task = spec.TaskTemplate as { ContainerSpec: { Image: string } };
    task.ContainerSpec.Image = imageWithTag(task.ContainerSpec.Image);
    const r = await engine.call<{ Warnings?: string[] }>(
        "POST",
        `/services/${id}/update?version=${current.Version.Index}`,
        {
            body: spec,
            headers: { "X-Registry-Auth": registryAuthHeader(inputs) },
        },
    );
    const converge = createConvergeConfig(inputs);
    if (converge !== undefined) {
        try {
            await waitForState({
                delayMs: 7000,
                timeoutMs: converge.timeoutMs,
                minTimeoutMs: 5000,
                pending: UPDATE_PENDING,
                target: ["completed"],
                refresh: () => updateRefresh(engine, id),
            });
        } catch (e) {
            throw convergeError(id, converge.timeoutRaw, e);
        }
    }
    return { id, warnings: r.Warnings ?? [] };
}

/**
 * deleteService: with a stop_grace_period other than 0s, note the containers of the service's tasks
 * not shut down, remove the service, then wait (up to the grace period) for each container to be
 * removed and remove it by force; "No such container" is ignored (the provider only reaches the
 * manager's own containers, as here).
 */
export async function serviceDelete(engine: Engine, id: string, inputs: Obj): Promise<void> {
    const container = ((inputs.taskSpec as Obj | undefined)?.containerSpec ?? {}) as Obj;
    const grace = typeof container.stopGracePeriod === "string" ? container.stopGracePeriod : "";
    const containers: string[] = [];
    if (grace !== "" && grace !== "0s") {
        const tasks = await engine.call<Task[]>("GET", `/tasks?${filtersQuery({ service: [String(inputs.name)] })}`);
        for (const t of tasks) {
            const cid = t.Status.ContainerStatus?.ContainerID ?? "";
            if (cid.trim() !== "" && t.Status.State !== "shutdown") {
                containers.push(cid);
            }
        }
    }
    await engine.call("DELETE", `/services/${id}`);
    for (const cid of containers) {
        const wait = await engine
            .request("POST", `/containers/${cid}/wait?condition=removed`, { timeoutMs: 60_000 })
            .catch(() => undefined);
        if (wait !== undefined && wait.status >= 400 && !/No such container/i.test(wait.text)) {
            throw new EngineError(wait.status, `failed to wait for container with ID '${cid}': ${wait.text}`);
        }
        const rm = await engine.request("DELETE", `/containers/${cid}?v=1&force=1`);
        if (rm.status >= 400 && !/No such container|is already in progress/i.test(rm.text)) {
            throw new EngineError(rm.status, `Error deleting container with ID '${cid}': ${rm.text}`);
        }
    }
}
