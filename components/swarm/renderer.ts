import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/load";
import { SecretKey } from "../config/schema";
import { SwarmConfig } from "../config/swarmSchema";
import { BenchModel, NetworkSpec } from "../bench/model/types";
import { clientNetworks } from "../bench/model/networks";
import { BenchRenderer, ProcessRenderer, RenderedService, RenderInput, ServiceWiring } from "../renderer/renderer";
import { withRouting } from "../renderer/traefik";
import { deployTimeEnv } from "../renderer/deployEnv";
import { dockerName } from "../conventions/naming";
import { runningEnvironment } from "../jobs/running";
import { SwarmNetworks } from "./network";
import { allocatedSubnet } from "../renderer/subnet";
import { swarmGateEnvironment } from "./gate";
import { serviceSettings } from "./plan";
import { preflightJob } from "./preflight";
import { SwarmSecrets } from "./secrets";
import { SwarmService } from "./service";
import { SwarmRenderContext, SwarmServiceSpec } from "./spec";
import { throughUpstream } from "./upstreams";

/**
 * Constraints that let a stateful service move to another node, where its local volume is empty:
 * say so on every deploy (with one manager, node.role == manager is one node; with three it is not).
 */
function placementWarnings(swarm: SwarmConfig): string[] {
    const pinned = (cs: readonly string[]) =>
        cs.some((c) => /^\s*(?:node\.(?:id|hostname|labels\.[^=!\s]+)|engine\.labels\.[^=!\s]+)\s*==/i.test(c));
    const loose = (["db", "redis", "proxy"] as const).filter((k) => !pinned(swarm.placement[k]));
    if (loose.length === 0) {
        return [];
    }
    return [
        `frappe:swarm.placement.${loose.join("/")} do not pin one node (${loose.map((k) => swarm.placement[k].join(" and ")).join("; ")}): ` +
            "when more than one node matches, Swarm may restart db, Redis or the proxy on another node, where their local " +
            "volume is empty. Pin them with node.hostname == <node> or a node label (docs/swarm.md).",
    ];
}

/**
 * The bench on Docker Swarm: one service per process of the model, with its replicas, on an attachable
 * overlay network; secrets as Swarm secrets; the sites volume on shared storage every node mounts.
 * A service is ready when it converged (every task running and healthy, as far as the provider's
 * wait sees). Traefik reads the routing from its routes file (no Docker socket). Before the configurator, a
 * preflight job checks that the services answer by name (preflight.ts); the job that reopens the sites
 * first passes Swarm's gate, which waits for every app service's rollout to have finished (gate.ts).
 */
export function swarmRenderer(
    name: string,
    config: StackConfig,
    swarm: SwarmConfig,
    networks: readonly NetworkSpec[],
    parent: pulumi.Resource,
): BenchRenderer {
    for (const warning of placementWarnings(swarm)) {
        void pulumi.log.warn(warning, parent);
    }
    const stackNetworks = new SwarmNetworks(
        `${name}-networks`,
        { stack: config.stack, networks, encrypted: swarm.encryptOverlay },
        { parent },
    );
    const edge = stackNetworks.networks.edge;
    const edgeSubnet = edge === undefined ? undefined : allocatedSubnet("edge", edge);
    const volumeDrivers = { sites: swarm.sitesVolume };
    return {
        componentType: "frappe:swarm:Bench",
        networkNames: stackNetworks.names,
        volumeDrivers,
        processes(bench: pulumi.ComponentResource, benchName: string, input: RenderInput): ProcessRenderer {
            const secrets = new SwarmSecrets(
                `${benchName}-secrets`,
                { stack: config.stack, keys: serviceSecrets(input.model), values: input.secrets },
                { parent: bench },
            );
            const registryPassword = input.secrets.registryPassword;
            const context: SwarmRenderContext = {
                stack: config.stack,
                frappeImage: input.frappeImage,
                networkIds: stackNetworks.ids,
                volumes: input.volumes,
                volumeDrivers,
                secrets: secrets.refs,
                logging: config.logging,
                restartPolicy: config.restartPolicy,
                update: swarm.update,
                registryAuth:
                    config.registry && registryPassword !== undefined
                        ? {
                              serverAddress: config.registry.server,
                              username: config.registry.username,
                              password: pulumi.secret(registryPassword),
                          }
                        : undefined,
            };
            return {
                service: (spec, wiring) =>
                    service(withRouting(spec, input.model.routing, config.stack), swarm, context, {
                        ...wiring,
                        edgeSubnet,
                    }),
                // A job finds the image the backend runs, or the database server it guards, as a service;
                // the job that reopens the sites gets Swarm's gate.
                jobEnvironment: (spec) => ({
                    ...runningEnvironment(spec, (key) => ({ kind: "service", name: dockerName(config.stack, key) })),
                    ...swarmGateEnvironment(config.stack, spec, input.model, swarm),
                }),
                // Before the configurator, the first job that reaches db and Redis by name.
                preflight: {
                    spec: { ...preflightJob(config, swarm), networks: clientNetworks(input.model.networks) },
                    before: "configurator",
                },
            };
        },
    };
}

/** The secrets the services read (jobs get theirs on stdin): one Swarm secret each. */
function serviceSecrets(model: BenchModel): SecretKey[] {
    const keys = new Set<SecretKey>();
    model.processes
        .filter((p) => p.kind === "service")
        .forEach((p) => p.secretFiles.forEach((f) => keys.add(f.secret)));
    return [...keys].sort();
}

function service(
    routed: SwarmServiceSpec,
    swarm: SwarmConfig,
    context: SwarmRenderContext,
    wiring: ServiceWiring & { readonly edgeSubnet?: pulumi.Output<string> },
): RenderedService {
    // nginx resolves its upstreams once: on dnsrr a frontend that lost them all must be replaced (upstreams.ts).
    const spec = swarm.endpointMode === "dnsrr" && routed.role === "frontend" ? throughUpstream(routed) : routed;
    const svc = new SwarmService(
        wiring.name,
        {
            spec,
            settings: serviceSettings(spec, swarm),
            context,
            dependsOn: [...wiring.dependsOn],
            extraEnv: deployTimeEnv(spec, wiring),
        },
        { parent: wiring.parent },
    );
    return { ready: [svc.service], names: [svc.serviceName] };
}
