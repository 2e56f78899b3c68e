import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { JOB_CREATE, jobEnvironment, JobRunNames, runToken, secretStdin } from "./jobRun";
import { JobSpec, VolumeKey } from "../bench/model/types";
import { JobContext } from "./context";

export interface BenchJobArgs {
    /** What the job runs (from the service model). */
    readonly spec: JobSpec;
    /** Image, network, volumes, secrets and stack-wide settings. */
    readonly context: JobContext;
    /** Resources that must be ready or have succeeded first. */
    readonly dependsOn: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
    /** Run tokens of the jobs before this one: when one of them ran, this job runs again too. */
    readonly upstreamRuns: readonly pulumi.Input<string>[];
    /** What the target adds to the command's environment (one Docker host: the health gate's settings). */
    readonly environment?: Readonly<Record<string, string>>;
}

/**
 * A run-once step of the bench (configurator, backup, migrate, site creation, ...) as a `docker run`
 * whose exit code is the step's result: a failure fails `pulumi up`, nothing after the step is
 * created, and the step runs again on the next `pulumi up`. It runs again whenever what it does
 * changes (image, parameters, mounts, secrets, its scripts' revision) or a job before it ran, and not
 * for a reworded script: pulumi-command v1.2.1 runs `create` again on any change of its inputs
 * (Update falls back to Create without an `update` command: provider/pkg/provider/local/
 * commandController.go:79-83) and replaces on a trigger change (provider/pkg/provider/common/inputs.go,
 * `replaceOnChanges` on triggers).
 */
export class BenchJob extends pulumi.ComponentResource {
    public readonly run: command.local.Command;
    /** Changes whenever the job actually ran (the ID of the container that did the work). */
    public readonly runToken: pulumi.Output<string>;

    constructor(name: string, args: BenchJobArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:bench:Job", name, {}, opts);
        const { spec, context } = args;
        const volumeKeys = Object.keys(context.volumes) as VolumeKey[];
        // What the job does, and nothing about how its scripts are worded (run-job.sh reads them when it runs).
        const networks = spec.networks.map((key) => {
            const network = context.networks[key];
            if (network === undefined) {
                throw new Error(`${spec.key}: network ${key} is not part of this stack`);
            }
            return network;
        });
        if (networks.length === 0) {
            throw new Error(`${spec.key}: the job joins no network`);
        }
        const environment = pulumi
            .all([
                context.frappeImage,
                pulumi.all(networks),
                pulumi.all(volumeKeys.map((k) => pulumi.output(context.volumes[k] as pulumi.Input<string>))),
            ])
            .apply(([image, networkNames, volumeNames]) => {
                const names: JobRunNames = {
                    stack: context.stack,
                    image,
                    networks: networkNames,
                    volumes: Object.fromEntries(volumeKeys.map((k, i) => [k, volumeNames[i]])),
                    volumeDrivers: context.volumeDrivers,
                };
                const env = { ...jobEnvironment(spec, names), ...args.environment };
                return context.dockerHost === undefined ? env : { ...env, DOCKER_HOST: context.dockerHost };
            });
        const secretKeys = spec.secretFiles.map((f) => f.secret);
        const stdin =
            secretKeys.length === 0
                ? undefined
                : pulumi.secret(
                      pulumi
                          .all(secretKeys.map((k) => pulumi.output(context.secrets[k] ?? "")))
                          .apply((values) =>
                              secretStdin(
                                  spec,
                                  Object.fromEntries(secretKeys.map((k, i) => [k, values[i] || undefined])),
                              ),
                          ),
                  );
        this.run = new command.local.Command(
            name,
            {
                // Run by the provider from the project directory: its `dir` input is unset, so it uses the
                // provider's working directory (pulumi-command v1.2.1 provider/pkg/provider/local/commandOutputs.go:73-80).
                create: JOB_CREATE,
                environment,
                stdin,
                triggers: [...spec.triggers, ...args.upstreamRuns],
                // The job's output streams into the deploy log; state keeps it only as a secret.
                logging: "stdoutAndStderr",
                addPreviousOutputInEnv: false,
            },
            { parent: this, dependsOn: args.dependsOn, additionalSecretOutputs: ["stdout", "stderr"] },
        );
        this.runToken = this.run.stdout.apply(runToken);
        this.registerOutputs({ runToken: this.runToken });
    }
}
