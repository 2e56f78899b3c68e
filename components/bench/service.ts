import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "./model";
import { commonContainerArgs, containerOptions, RenderContext } from "./render";

export interface BenchServiceArgs {
    /** What the process is (from the service model). */
    readonly spec: ServiceSpec;
    /** Image, network, volumes, secrets and stack-wide settings. */
    readonly context: RenderContext;
    /** Resources that must be ready first (healthy services, succeeded jobs). */
    readonly dependsOn: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
}

/** One long-running container of the bench: restart policy, healthcheck, graceful stop, log rotation. */
export class BenchService extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** Docker container name, for `docker logs` and `docker exec`. */
    public readonly containerName: pulumi.Output<string>;

    constructor(name: string, args: BenchServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:bench:Service", name, {}, opts);
        const { spec, context } = args;
        const h = spec.healthcheck;
        this.container = new docker.Container(
            name,
            {
                ...commonContainerArgs(spec, context),
                ports: spec.ports.map((p) => ({ internal: p.internal, external: p.external })),
                healthcheck: {
                    tests: [...h.tests],
                    interval: h.interval,
                    timeout: h.timeout,
                    startPeriod: h.startPeriod,
                    retries: h.retries,
                },
                restart: context.restartPolicy,
                mustRun: true,
                // Create blocks until Docker reports the container healthy, which is what dependants wait on.
                wait: spec.waitHealthy,
                waitTimeout: spec.waitHealthy ? spec.healthTimeoutSeconds : undefined,
                destroyGraceSeconds: spec.stopGraceSeconds,
                stopTimeout: spec.stopGraceSeconds,
                usernsMode: spec.usernsMode,
            },
            { parent: this, dependsOn: args.dependsOn, ...containerOptions(spec) },
        );
        this.containerName = this.container.name;
        this.registerOutputs({ containerName: this.containerName });
    }
}
