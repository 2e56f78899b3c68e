import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, STACK_LABEL } from "../conventions/naming";

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
