import { ContainerRole } from "../../conventions/naming";
import { HealthGate, ServiceSpec } from "./types";

/** Roles of the processes that serve the sites or run their jobs: every copy of them must be healthy. */
const APP_ROLES: readonly ContainerRole[] = [
    "backend",
    "websocket",
    "queue-short",
    "queue-long",
    "queue-custom",
    "scheduler",
    "frontend",
];

/**
 * What must be healthy before maintenance-off reopens the sites: every copy of the app roles, and the
 * one-of-a-kind app processes by name. Scaled processes (workers) are covered by their role only, so
 * changing their number does not change the gate (which would make the job run, and reopen the sites,
 * by itself).
 */
export function appHealthGate(services: readonly ServiceSpec[]): HealthGate {
    const app = services.filter((s) => APP_ROLES.includes(s.role));
    return { roles: APP_ROLES, processes: app.filter((s) => s.replicas === undefined).map((s) => s.key) };
}
