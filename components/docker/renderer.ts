import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/load";
import { Routing, ServiceSpec } from "../bench/model/types";
import { BenchRenderer, ProcessRenderer, RenderedService, RenderInput, ServiceWiring } from "../renderer/renderer";
import { withRouting } from "../renderer/traefik";
import { dockerName } from "../conventions/naming";
import { runningEnvironment } from "../jobs/running";
import { healthGateEnvironment } from "./healthGate";
import { BenchNetwork, DOCKER_PRIVATE_RANGE } from "./network";
import { ContainerSpec, RenderContext } from "./render";
import { BenchService } from "./service";

/**
 * The bench on one Docker host: every process as containers on the stack's bridge network. A process
 * with `replicas` runs as that many containers `<key>-1` ... `<key>-n`, one of a kind as `<key>`.
 * Traefik reads its routes from a file (no Docker socket); the gate before the sites reopen is
 * scripts/health-gate.sh, run by the job's own step; a job finds the image the backend runs, or the
 * database server it guards, as a container.
 */
export function dockerRenderer(name: string, config: StackConfig, parent: pulumi.Resource): BenchRenderer {
    const network = new BenchNetwork(`${name}-network`, { stack: config.stack }, { parent });
    return {
        componentType: "frappe:bench:Bench",
        networkName: network.networkName,
        volumeDrivers: {},
        processes(_bench: pulumi.ComponentResource, _benchName: string, input: RenderInput): ProcessRenderer {
            const context: RenderContext = {
                stack: config.stack,
                frappeImage: input.frappeImage,
                network: network.networkName,
                volumes: input.volumes,
                secrets: input.secrets,
                logging: config.logging,
                restartPolicy: config.restartPolicy,
            };
            return {
                service: (spec, wiring) =>
                    containers(containerSpec(spec, input.model.routing, config.stack), context, wiring),
                jobEnvironment: (spec) => ({
                    ...healthGateEnvironment(config.stack, spec),
                    // A one-of-a-kind process is one container of that name.
                    ...runningEnvironment(spec, (key) => ({ kind: "container", name: dockerName(config.stack, key) })),
                }),
            };
        },
    };
}

/** The model's process with what one Docker host adds: Traefik's routes and whom the entry trusts. */
function containerSpec(spec: ServiceSpec, routing: Routing | undefined, stack: string): ContainerSpec {
    return withRouting(spec, routing, { provider: "docker", stack, proxyNetworkRange: DOCKER_PRIVATE_RANGE });
}

/** One container per copy of the process. */
function containers(spec: ContainerSpec, context: RenderContext, wiring: ServiceWiring): RenderedService {
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
                    // FRAPPE_CONFIG_RUN exists only to force re-creation: nothing in the container reads it.
                    // Its value is the run token of the job that rewrote the config, new whenever that job
                    // ran, and a changed env replaces the container (the Docker provider has no in-place
                    // update of env), so the process starts again and rereads common_site_config.json.
                    extraEnv: wiring.restartToken === undefined ? {} : { FRAPPE_CONFIG_RUN: wiring.restartToken },
                },
                { parent: wiring.parent },
            ),
    );
    return { ready: services.map((s) => s.container), names: services.map((s) => s.containerName) };
}
