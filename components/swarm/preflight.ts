import { StackConfig } from "../config/load";
import { SwarmConfig } from "../config/swarmSchema";
import { endpoints, job } from "../bench/model/processes";
import { JobSpec } from "../bench/model/types";

/**
 * Swarm's check before the configurator, the first job that reaches the database and Redis by name:
 * from a container on the stack's overlay network, they answer by those names
 * (scripts/swarm-preflight.sh). On Swarm's default endpoints a name is a virtual IP, which needs IPVS
 * (the ip_vs kernel module) on every node; without it the name resolves and nothing answers, while
 * `tasks.<name>` does. The job names that cause and `frappe:swarm.endpointMode: dnsrr`, instead of
 * letting the first job that connects fail with a timeout. It never changes a site, so a run of it
 * re-runs nothing after it.
 */
export function preflightJob(c: StackConfig, swarm: SwarmConfig): JobSpec {
    const e = endpoints(c);
    return {
        ...job({
            key: "swarm-preflight",
            role: "preflight",
            description: "check that the services answer by name on the stack's network",
            script: {
                file: "swarm-preflight.sh",
                params: {
                    PREFLIGHT_TARGETS: [`${e.dbHost}:${e.dbPort}`, e.redisCache, e.redisQueue],
                    ENDPOINT_MODE: swarm.endpointMode,
                },
            },
            after: [],
            params: {},
        }),
        mounts: [],
        chainsLaterJobs: false,
    };
}
