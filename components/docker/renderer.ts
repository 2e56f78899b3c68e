import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/load";
import { NetworkSpec, Routing, ServiceSpec } from "../bench/model/types";
import { BenchRenderer, ProcessRenderer, RenderedService, RenderInput, ServiceWiring } from "../renderer/renderer";
import { withRouting } from "../renderer/traefik";
import { deployTimeEnv } from "../renderer/deployEnv";
import { dockerName } from "../conventions/naming";
import { runningEnvironment } from "../jobs/running";
import { healthGateEnvironment } from "./healthGate";
import { allocatedSubnet } from "../renderer/subnet";
import { BenchNetworks } from "./network";
import { ContainerSpec, RenderContext } from "./render";
import { BenchService } from "./service";

/**
 * The bench on one Docker host: every process as containers on the stack's bridge networks (the model's
 * edge, bench and data networks, the data network internal). A process with `replicas` runs as that many
 * containers `<key>-1` ... `<key>-n`, one of a kind as `<key>`. The entry trusts X-Forwarded-For from the
 * subnet Docker gave the edge network, which only the proxy and the entry join.
 * Traefik reads its routes from a file (no Docker socket); the gate before the sites reopen is
 * scripts/health-gate.sh, run by the job's own step; a job finds the image the backend runs, or the
 * database server it guards, as a container.
 */
export function dockerRenderer(
    name: string,
    config: StackConfig,
    networks: readonly NetworkSpec[],
    parent: pulumi.Resource,
): BenchRenderer {
    const stackNetworks = new BenchNetworks(`${name}-networks`, { stack: config.stack, networks }, { parent });
    const edge = stackNetworks.networks.edge;
    const edgeSubnet = edge === undefined ? undefined : allocatedSubnet("edge", edge);
    return {
        componentType: "frappe:bench:Bench",
        networkNames: stackNetworks.names,
        volumeDrivers: {},
        processes(_bench: pulumi.ComponentResource, _benchName: string, input: RenderInput): ProcessRenderer {
            const context: RenderContext = {
                stack: config.stack,
                frappeImage: input.frappeImage,
                networks: stackNetworks.names,
                volumes: input.volumes,
                secrets: input.secrets,
                logging: config.logging,
                restartPolicy: config.restartPolicy,
            };
            return {
                service: (spec, wiring) =>
                    containers(containerSpec(spec, input.model.routing, config.stack), context, {
                        ...wiring,
                        edgeSubnet,
                    }),
                jobEnvironment: (spec) => ({
                    ...healthGateEnvironment(config.stack, spec),
                    // A one-of-a-kind process is one container of that name.
                    ...runningEnvironment(spec, (key) => ({ kind: "container", name: dockerName(config.stack, key) })),
                }),
            };
        },
    };
}

/** The model's process with what one Docker host adds: Traefik's routes and files. */
function containerSpec(spec: ServiceSpec, routing: Routing | undefined, stack: string): ContainerSpec {
    return withRouting(spec, routing, stack);
}

/** One container per copy of the process. */
function containers(
    spec: ContainerSpec,
    context: RenderContext,
    wiring: ServiceWiring & { readonly edgeSubnet?: pulumi.Output<string> },
): RenderedService {
    const env = deployTimeEnv(spec, wiring);
    const copies =
        spec.replicas === undefined
            ? [{ name: wiring.name, spec }]
            : Array.from({ length: spec.replicas }, (_, i) => ({
                  name: `${wiring.name}-${i + 1}`,
                  spec: { ...spec, key: `${spec.key}-${i + 1}` },
              }));
    const services = copies.map(
        (copy) =>
            new BenchService(
                copy.name,
                {
                    spec: copy.spec,
                    context,
                    dependsOn: [...wiring.dependsOn],
                    extraEnv: env,
                },
                { parent: wiring.parent },
            ),
    );
    return { ready: services.map((s) => s.container), names: services.map((s) => s.containerName) };
}
