import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/**
 * The IPv4 subnet the engine gave a network (a bridge on one host, an overlay on Swarm), read back: the
 * provider's `ipam_config` is Optional and Computed, and its Read stores the engine's IPAM config
 * (kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_network.go schema;
 * resource_docker_network_funcs.go resourceDockerNetworkReadRefreshFunc; flattenIpamConfigSpec in
 * resource_docker_network_structures.go), so the output carries the allocation without pinning one that
 * might collide with the host's other networks. The stack's networks have no IPv6: exactly one subnet.
 */
export function allocatedSubnet(what: string, network: docker.Network): pulumi.Output<string> {
    return network.ipamConfigs.apply((configs) => {
        const subnets = (configs ?? [])
            .map((c) => c.subnet ?? "")
            .filter((s) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(s));
        if (subnets.length !== 1) {
            throw new Error(
                `the ${what} network has ${subnets.length} IPv4 subnets in its IPAM config ` +
                    `(${JSON.stringify(configs ?? [])}); expected the one the engine allocated`,
            );
        }
        return subnets[0];
    });
}
