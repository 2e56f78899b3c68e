import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, STACK_LABEL } from "../conventions/naming";

/**
 * Where Swarm puts overlay networks unless `docker swarm init --default-addr-pool` says otherwise
 * (10.0.0.0/8, Docker's swarm init reference). Behind the in-stack proxy, nginx trusts X-Forwarded-For
 * from there, as it trusts Docker's bridge range on one host.
 */
export const SWARM_OVERLAY_RANGE = "10.0.0.0/8";

export interface SwarmNetworkArgs {
    /** Pulumi stack name; prefixes the Docker name and labels the network. */
    readonly stack: string;
}

/**
 * The stack's overlay network, spanning every node. Services join it under frappe_docker's service
 * names (backend, db, redis-queue, ...). Attachable, so the run-once jobs (plain `docker run` on a
 * manager) can join it and reach db and Redis by the same names. Every input is ForceNew in the
 * provider (kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_network.go),
 * so they are fixed here.
 */
export class SwarmNetwork extends pulumi.ComponentResource {
    public readonly network: docker.Network;
    public readonly networkName: pulumi.Output<string>;
    /** What services reference: the provider replaces a service on every run when given the name. */
    public readonly networkId: pulumi.Output<string>;

    constructor(name: string, args: SwarmNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:swarm:Network", name, {}, opts);
        this.network = new docker.Network(
            name,
            {
                name: dockerName(args.stack, "network"),
                driver: "overlay",
                attachable: true,
                labels: [{ label: STACK_LABEL, value: args.stack }],
            },
            { parent: this },
        );
        this.networkName = this.network.name;
        this.networkId = this.network.id;
        this.registerOutputs({ networkName: this.networkName });
    }
}
