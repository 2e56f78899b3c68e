import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NetworkKey, NetworkSpec } from "../bench/model/types";
import { dockerName, STACK_LABEL } from "../conventions/naming";

export interface SwarmNetworksArgs {
    /** Pulumi stack name; prefixes the Docker names and labels the networks. */
    readonly stack: string;
    /** The model's networks. */
    readonly networks: readonly NetworkSpec[];
    /** Whether traffic between nodes is encrypted (frappe:swarm.encryptOverlay). */
    readonly encrypted: boolean;
}

/**
 * Docker name of an overlay network of the stack: `frappe-<stack>-<key>`, and `-<key>-unencrypted` without
 * encryption. The encryption is part of the name because it cannot be part of the diff (see SwarmNetworks):
 * switching it creates networks of the other name, every service is replaced onto them (a service's networks
 * are ForceNew; SwarmService deletes it first) and the old networks are deleted once nothing uses them; a
 * network of the same name could not be created while the old one exists (Swarm refuses a second network of
 * one name).
 */
export function overlayName(stack: string, key: NetworkKey, encrypted: boolean): string {
    return dockerName(stack, encrypted ? key : `${key}-unencrypted`);
}

/**
 * The stack's overlay networks, one per network of the model, spanning every node. Services join them
 * under frappe_docker's service names (backend, db, redis-queue, ...). Attachable, so the run-once jobs
 * (`docker create` and `docker network connect` on a manager) can join them. The data network is
 * `internal` (no way out of the Swarm). With `encrypted`, the overlay driver encrypts the traffic between
 * nodes (IPsec ESP, IP protocol 50, which the nodes' firewalls must pass; Docker's overlay network driver
 * documentation, "Encrypt traffic on an overlay network").
 *
 * Every input is ForceNew in the provider (kreuzwerker/terraform-provider-docker v4.5.0
 * internal/provider/resource_docker_network.go). `options` is also Computed, and its Read stores the
 * options the engine reports, which for an overlay include the `com.docker.network.driver.overlay.vxlanid_list`
 * Swarm allocated (resource_docker_network_funcs.go, resourceDockerNetworkReadRefreshFunc); a configured
 * `options` map with fewer keys differs from that state on every run, and the SDK plans a replacement
 * (terraform-plugin-sdk v2 helper/schema schemaMap.diffMap: a changed number of keys on a ForceNew map).
 * So `options` is left out of the diff (ignoreChanges; the bridge drops those attributes from the diff,
 * pulumi-terraform-bridge pkg/tfshim/sdk-v2 processIgnoreChanges), and the name carries the encryption.
 */
export class SwarmNetworks extends pulumi.ComponentResource {
    public readonly networks: Readonly<Partial<Record<NetworkKey, docker.Network>>>;
    public readonly names: Readonly<Partial<Record<NetworkKey, pulumi.Output<string>>>>;
    /** What services reference: the provider replaces a service on every run when given the name. */
    public readonly ids: Readonly<Partial<Record<NetworkKey, pulumi.Output<string>>>>;

    constructor(name: string, args: SwarmNetworksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:swarm:Networks", name, {}, opts);
        const networks: Partial<Record<NetworkKey, docker.Network>> = {};
        for (const n of args.networks) {
            networks[n.key] = new docker.Network(
                `${name}-${n.key}`,
                {
                    name: overlayName(args.stack, n.key, args.encrypted),
                    driver: "overlay",
                    attachable: true,
                    internal: n.internal,
                    // The overlay driver encrypts when the option is present, whatever its value (moby
                    // libnetwork/drivers/overlay/ov_network.go: `optMap[secureOption]`, secureOption "encrypted").
                    options: args.encrypted ? { encrypted: "true" } : undefined,
                    labels: [{ label: STACK_LABEL, value: args.stack }],
                },
                { parent: this, ignoreChanges: ["options"] },
            );
        }
        this.networks = networks;
        this.names = Object.fromEntries(Object.entries(networks).map(([k, n]) => [k, n.name]));
        this.ids = Object.fromEntries(Object.entries(networks).map(([k, n]) => [k, n.id]));
        this.registerOutputs({ names: this.names });
    }
}
