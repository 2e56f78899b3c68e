import { ContainerRole, dockerName } from "../../conventions/naming";
import { HealthGateSpec, ServiceSpec } from "./types";

/**
 * The environment that makes run-job.sh run scripts/health-gate.sh before the job's `docker run`, in
 * the same step and against the same Docker host: the stack's label, the app roles and the container
 * names the gate must find. A failing gate fails the step before its container starts.
 */
export function healthGateEnvironment(stack: string, gate: HealthGateSpec): Record<string, string> {
    return {
        GATE_STACK: stack,
        GATE_ROLES: [...new Set(gate.roles)].join(" "),
        GATE_EXPECT: gate.expect.map((k) => dockerName(stack, k)).join(" "),
    };
}

const WORKER_ROLES: readonly ContainerRole[] = ["queue-short", "queue-long", "queue-custom"];
/** Roles of the processes that serve the sites or run their jobs; the gate checks every container of them. */
export const APP_ROLES: readonly ContainerRole[] = ["backend", "websocket", ...WORKER_ROLES, "scheduler", "frontend"];

/**
 * What the gate before maintenance-off checks. It finds the processes by role; the names it insists on
 * are the ones every stack has, so scaling workers does not change the step (which would make it run,
 * and reopen the sites, by itself).
 */
export function appHealthGate(services: readonly ServiceSpec[]): HealthGateSpec {
    const app = services.filter((s) => APP_ROLES.includes(s.role));
    return { roles: APP_ROLES, expect: app.filter((s) => !WORKER_ROLES.includes(s.role)).map((s) => s.key) };
}
