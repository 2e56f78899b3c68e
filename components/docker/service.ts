import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { goDuration } from "../renderer/durations";
import { commonContainerArgs, ContainerSpec, containerOptions, RenderContext } from "./render";

export interface BenchServiceArgs {
    /** What the container runs (one copy of a process of the model). */
    readonly spec: ContainerSpec;
    /** Image, network, volumes, secrets and stack-wide settings. */
    readonly context: RenderContext;
    /** Resources that must be ready first (healthy services, succeeded jobs). */
    readonly dependsOn: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
    /** Environment known only at deploy time (run tokens), added to the model's plain env. */
    readonly extraEnv?: Readonly<Record<string, pulumi.Input<string>>>;
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
        const common = commonContainerArgs(spec, context);
        const extra = Object.entries(args.extraEnv ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
        const base = pulumi.output(common.envs ?? []) as pulumi.Output<string[]>;
        const extraValues = pulumi.all(extra.map(([, v]) => v));
        // The base env of the model, then the deploy-time values, KEY=VALUE like the rest.
        const envs =
            extra.length === 0
                ? common.envs
                : pulumi
                      .all([base, extraValues])
                      .apply(([b, values]) => [...b, ...extra.map(([k], i) => `${k}=${values[i]}`)]);
        this.container = new docker.Container(
            name,
            {
                ...common,
                envs,
                // ip: the host address (the provider's default 0.0.0.0 is every interface).
                ports: spec.ports.map((p) => ({
                    internal: p.internal,
                    external: p.external,
                    ...(p.address === undefined ? {} : { ip: p.address }),
                })),
                healthcheck: {
                    tests: [...h.tests],
                    interval: goDuration(h.intervalSeconds),
                    timeout: goDuration(h.timeoutSeconds),
                    startPeriod: goDuration(h.startPeriodSeconds),
                    retries: h.retries,
                },
                restart: context.restartPolicy,
                mustRun: true,
                // Create blocks until Docker reports the container healthy, which is what dependants wait on.
                wait: spec.waitHealthy,
                waitTimeout: spec.waitHealthy ? spec.healthTimeoutSeconds : undefined,
                destroyGraceSeconds: spec.stopGraceSeconds,
                stopTimeout: spec.stopGraceSeconds,
            },
            { parent: this, dependsOn: args.dependsOn, ...containerOptions(spec) },
        );
        this.containerName = this.container.name;
        this.registerOutputs({ containerName: this.containerName });
    }
}
