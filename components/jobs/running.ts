import { JobSpec } from "../bench/model/types";

/**
 * What a job needs to know about the stack's processes as they run when it starts, in run-job.sh's
 * terms: whose image it runs (FRAPPE_JOB_IMAGE_FROM) and which database server it guards (DBGUARD_*,
 * read by scripts/db-guard.sh). Only the renderer knows how a process runs: as a container on one
 * Docker host, as a service on a Swarm; it hands that over as `RunningProcess`.
 */

/** How the Docker CLI finds a running process of the stack. */
export interface RunningProcess {
    /** `docker container inspect` or `docker service inspect`. */
    readonly kind: "container" | "service";
    readonly name: string;
}

/** The environment run-job.sh reads for a job whose image or guard refers to running processes. */
export function runningEnvironment(spec: JobSpec, find: (process: string) => RunningProcess): Record<string, string> {
    const env: Record<string, string> = {};
    if (spec.image.kind === "running") {
        const p = find(spec.image.process);
        env.FRAPPE_JOB_IMAGE_FROM = `${p.kind} ${p.name}`;
    }
    if (spec.guardsServer !== undefined) {
        const p = find(spec.guardsServer.process);
        env.DBGUARD_ENGINE = spec.guardsServer.engine;
        env.DBGUARD_KIND = p.kind;
        env.DBGUARD_NAME = p.name;
        env.DBGUARD_IMAGE = spec.guardsServer.image;
    }
    return env;
}
