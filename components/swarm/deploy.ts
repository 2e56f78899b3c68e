import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/load";
import { SecretKey } from "../config/schema";
import { SwarmConfig } from "../config/swarmSchema";
import { BenchModel, VolumeKey } from "../bench/model/types";
import { SwarmBench } from "./bench";
import { SwarmNetwork } from "./network";
import { planSwarm } from "./plan";

export interface SwarmRenderArgs {
    readonly config: StackConfig & { readonly swarm: SwarmConfig };
    /** The same service model the single-host rendering uses. */
    readonly model: BenchModel;
    readonly frappeImage: pulumi.Input<string>;
    readonly volumeNames: Readonly<Partial<Record<VolumeKey, pulumi.Input<string>>>>;
    /** Every secret value (configured or generated), Pulumi secrets. */
    readonly secrets: Readonly<Partial<Record<SecretKey, pulumi.Input<string>>>>;
}

/** What the deployment exports from the Swarm rendering. */
export interface SwarmRendered {
    readonly networkName: pulumi.Output<string>;
    readonly serviceNames: pulumi.Output<string[]>;
}

/**
 * Constraints that let a stateful service move to another node, where its local volume is empty:
 * say so on every deploy (with one manager, node.role == manager is one node; with three it is not).
 */
export function placementWarnings(swarm: SwarmConfig): string[] {
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

/** Overlay network, Swarm secrets, one service per role and the run-once jobs, children of `parent`. */
export function renderSwarm(name: string, args: SwarmRenderArgs, parent: pulumi.Resource): SwarmRendered {
    const { config } = args;
    for (const warning of placementWarnings(config.swarm)) {
        void pulumi.log.warn(warning, parent);
    }
    const plan = planSwarm(args.model, {
        swarm: config.swarm,
        realIpAddressSet: config.frontend.upstreamRealIp.address !== undefined,
    });
    const network = new SwarmNetwork(`${name}-network`, { stack: config.stack }, { parent });
    const volumeDrivers = { sites: config.swarm.sitesVolume };
    const registryPassword = args.secrets.registryPassword;
    const bench = new SwarmBench(
        `${name}-bench`,
        {
            plan,
            context: {
                stack: config.stack,
                frappeImage: args.frappeImage,
                networkId: network.networkId,
                volumes: args.volumeNames,
                volumeDrivers,
                logging: config.logging,
                restartPolicy: config.restartPolicy,
                update: config.swarm.update,
                registryAuth:
                    config.registry && registryPassword !== undefined
                        ? {
                              serverAddress: config.registry.server,
                              username: config.registry.username,
                              password: pulumi.secret(registryPassword),
                          }
                        : undefined,
            },
            jobContext: {
                stack: config.stack,
                frappeImage: args.frappeImage,
                network: network.networkName,
                volumes: args.volumeNames,
                volumeDrivers,
                secrets: args.secrets,
                dockerHost: config.dockerHost,
            },
            secretValues: args.secrets,
        },
        { parent },
    );
    return {
        networkName: network.networkName,
        serviceNames: pulumi.all(Object.values(bench.services).map((s) => s.serviceName)),
    };
}
