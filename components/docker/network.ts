import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NetworkKey, NetworkSpec } from "../bench/model/types";
import { dockerName, STACK_LABEL } from "../conventions/naming";

export interface BenchNetworksArgs {
    /** Pulumi stack name; prefixes the Docker names and labels the networks. */
    readonly stack: string;
    /** The model's networks. */
    readonly networks: readonly NetworkSpec[];
}

/**
 * The stack's bridge networks, one per network of the model (`frappe-<stack>-edge`, `-bench`, `-data`).
 * Containers join them under frappe_docker's service names (backend, websocket, db, redis-cache, ...),
 * which resolve only inside each network, so two stacks on one host never see each other's `backend`
 * (frappe_docker#852), and a process resolves only the names of the networks it is on. The data network is
 * `internal`: Docker gives it no gateway and drops its traffic to anywhere else. Every input of a network is
 * ForceNew (kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_network.go).
 */
export class BenchNetworks extends pulumi.ComponentResource {
    public readonly networks: Readonly<Partial<Record<NetworkKey, docker.Network>>>;
    public readonly names: Readonly<Partial<Record<NetworkKey, pulumi.Output<string>>>>;

    constructor(name: string, args: BenchNetworksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:bench:Networks", name, {}, opts);
        const networks: Partial<Record<NetworkKey, docker.Network>> = {};
        for (const n of args.networks) {
            networks[n.key] = new docker.Network(
                `${name}-${n.key}`,
                {
                    name: dockerName(args.stack, n.key),
                    driver: "bridge",
                    internal: n.internal,
                    labels: [{ label: STACK_LABEL, value: args.stack }],
                },
                { parent: this },
            );
        }
        this.networks = networks;
        this.names = Object.fromEntries(Object.entries(networks).map(([k, n]) => [k, n.name]));
        this.registerOutputs({ names: this.names });
    }
}
