import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, STACK_LABEL } from "../conventions/naming";

/**
 * Where Docker's default address pools put bridge networks (moby daemon/config default-address-pools:
 * 172.17.0.0/16 to 172.31.0.0/16). Behind the in-stack proxy, nginx trusts X-Forwarded-For from there,
 * so logs and rate limits see the client, not the proxy.
 */
export const DOCKER_PRIVATE_RANGE = "172.16.0.0/12";

export interface BenchNetworkArgs {
    /** Pulumi stack name; prefixes the Docker name and labels the network. */
    readonly stack: string;
}

/**
 * The stack's own bridge network. Containers join it under frappe_docker's service names
 * (backend, websocket, db, redis-cache, ...), which resolve only inside this network, so two
 * stacks on one host never see each other's `backend` (frappe_docker#852).
 */
export class BenchNetwork extends pulumi.ComponentResource {
    public readonly network: docker.Network;
    public readonly networkName: pulumi.Output<string>;

    constructor(name: string, args: BenchNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:bench:Network", name, {}, opts);
        this.network = new docker.Network(
            name,
            {
                name: dockerName(args.stack, "network"),
                driver: "bridge",
                labels: [{ label: STACK_LABEL, value: args.stack }],
            },
            { parent: this },
        );
        this.networkName = this.network.name;
        this.registerOutputs({ networkName: this.networkName });
    }
}
