import { DATASTORE_ROLES } from "../../conventions/naming";
import { NetworkKey, NetworkSpec, ProcessModel } from "./types";

/**
 * Who talks to whom, as networks (types.ts `NetworkKey`): the proxy reaches only the entry (nginx), the
 * entry reaches the application processes, and only the application processes and the jobs reach the
 * database and Redis. So the internet-facing proxy shares no network with the data stores, which sit on a
 * network without a way out; the application processes keep theirs (email, integrations, an external
 * database). frappe_docker puts everything on one network (pwd.yml `frappe_network`); its multi-bench
 * overrides split it likewise (traefik-public for Traefik and the frontend, mariadb-network for the
 * database and the processes that use it).
 */

/**
 * The networks of a process that uses the database and Redis (application processes and jobs): the data
 * network first (where a job starts), when the stack runs a data store, and the bench network.
 */
export function clientNetworks(networks: readonly NetworkSpec[]): NetworkKey[] {
    return [...(networks.some((n) => n.key === "data") ? (["data"] as const) : []), "bench"];
}

function networksOf(p: ProcessModel, networks: readonly NetworkSpec[]): NetworkKey[] {
    if (p.role === "proxy") {
        return ["edge"];
    }
    if (DATASTORE_ROLES.includes(p.role)) {
        return ["data"];
    }
    if (p.role === "frontend") {
        // nginx talks to backend and websocket only; the proxy reaches it on the edge network.
        return networks.some((n) => n.key === "edge") ? ["edge", "bench"] : ["bench"];
    }
    return clientNetworks(networks);
}

/** The stack's networks: edge with an in-stack proxy, bench always, data with an in-stack data store. */
export function stackNetworks(processes: readonly ProcessModel[]): NetworkSpec[] {
    return [
        ...(processes.some((p) => p.role === "proxy") ? [{ key: "edge" as const, internal: false }] : []),
        { key: "bench", internal: false },
        ...(processes.some((p) => DATASTORE_ROLES.includes(p.role)) ? [{ key: "data" as const, internal: true }] : []),
    ];
}

/** Every process on the networks of what it talks to. */
export function placeOnNetworks(processes: readonly ProcessModel[], networks: readonly NetworkSpec[]): ProcessModel[] {
    return processes.map((p) => ({ ...p, networks: networksOf(p, networks) }));
}
