import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { JobSpec } from "./model";
import { commonContainerArgs, containerOptions, RenderContext } from "./render";

export interface BenchJobArgs {
    /** What the job runs (from the service model). */
    readonly spec: JobSpec;
    /** Image, network, volumes, secrets and stack-wide settings. */
    readonly context: RenderContext;
    /** Resources that must be ready or have succeeded first. */
    readonly dependsOn: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
}

/** The message a failed job stops the deploy with: which step, how to look, how to go on. */
export function jobFailureMessage(spec: JobSpec, containerName: string, exitCode: number, urn: string): string {
    return [
        `Job "${spec.key}" (${spec.description}) failed with exit code ${exitCode}; nothing after it was deployed.`,
        `  See why:        docker logs ${containerName}`,
        `  Then either fix the cause and re-run this step: pulumi up --replace '${urn}'`,
        `  or restore the backup the pre-upgrade-backup job took (README, "Recovering from a failed upgrade").`,
    ].join("\n");
}

/**
 * A run-once container whose exit code gates everything after it. The Docker provider waits for a
 * container it attaches to but never checks how it exited, so the check is ours: `succeeded` only
 * resolves for exit code 0, and dependants listing it are never created otherwise.
 * The job re-runs only when the container is replaced, i.e. when its image, script or env change.
 */
export class BenchJob extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** Resolves to [container] when the job exited 0; fails the deploy otherwise. Use as `dependsOn`. */
    public readonly succeeded: pulumi.Output<pulumi.Resource[]>;

    constructor(name: string, args: BenchJobArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:bench:Job", name, {}, opts);
        const { spec, context } = args;
        this.container = new docker.Container(
            name,
            {
                ...commonContainerArgs(spec, context),
                restart: "no",
                // Leave an exited job alone on later deploys (the default would start it again) and keep it
                // around so its exit code and logs stay inspectable.
                mustRun: false,
                rm: false,
                attach: true,
                logs: true,
            },
            {
                parent: this,
                dependsOn: args.dependsOn,
                ...containerOptions(spec),
                additionalSecretOutputs: [...(containerOptions(spec).additionalSecretOutputs ?? []), "containerLogs"],
            },
        );
        const container = this.container;
        this.succeeded = pulumi
            .all([container.exitCode, container.name, container.urn])
            .apply(([exitCode, containerName, urn]) => {
                if (exitCode !== 0) {
                    throw new Error(jobFailureMessage(spec, containerName, exitCode, urn));
                }
                return [container];
            });
        this.registerOutputs({ exitCode: container.exitCode });
    }
}
