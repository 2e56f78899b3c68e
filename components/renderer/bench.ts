import * as pulumi from "@pulumi/pulumi";
import { jobsBefore } from "../bench/model/types";
import { JobContext } from "../jobs/context";
import { BenchJob } from "../jobs/job";
import { BenchRenderer, RenderInput } from "./renderer";

export interface BenchArgs extends RenderInput {
    /** The target the processes run on. */
    readonly renderer: BenchRenderer;
    /** Pulumi stack name. */
    readonly stack: string;
    /** `docker:host` for the jobs' Docker CLI; unset = local. */
    readonly dockerHost?: string;
}

/**
 * The bench on any target, wired in model order: each process waits for what it comes after (a
 * service is ready when its renderer says so, a job when it exited 0), each job runs again when a job
 * before it ran, and a process with `restartAfter` restarts whenever that job ran. Jobs are the same
 * `docker run` on every target (components/jobs/); services are the renderer's.
 */
export class Bench extends pulumi.ComponentResource {
    public readonly jobs: Readonly<Record<string, BenchJob>>;
    /** Docker names of the long-running containers or services, in model order. */
    public readonly serviceNames: pulumi.Output<string[]>;

    constructor(name: string, args: BenchArgs, opts?: pulumi.ComponentResourceOptions) {
        super(args.renderer.componentType, name, {}, opts);
        const { model, renderer } = args;
        const processes = renderer.processes(this, name, args);
        const context: JobContext = {
            stack: args.stack,
            frappeImage: args.frappeImage,
            networks: renderer.networkNames,
            volumes: args.volumes,
            volumeDrivers: renderer.volumeDrivers,
            secrets: args.secrets,
            dockerHost: args.dockerHost,
        };
        const ready = new Map<string, readonly pulumi.Resource[]>();
        const jobs: Record<string, BenchJob> = {};
        const names: pulumi.Output<string>[] = [];
        const preflight = processes.preflight;
        if (preflight !== undefined && !model.processes.some((p) => p.kind === "job" && p.key === preflight.before)) {
            throw new Error(
                `bench: the target's preflight comes before ${preflight.before}, which is not a job of the model`,
            );
        }
        for (const spec of model.processes) {
            // buildBenchModel checked that every reference names a process before this one.
            let dependsOn = spec.after.flatMap((key) => ready.get(key) ?? []);
            if (spec.key === preflight?.before) {
                const check = new BenchJob(
                    `${name}-${preflight.spec.key}`,
                    { spec: preflight.spec, context, dependsOn, upstreamRuns: [], environment: {} },
                    { parent: this },
                );
                jobs[preflight.spec.key] = check;
                dependsOn = [...dependsOn, check.run];
            }
            if (spec.kind === "job") {
                const job = new BenchJob(
                    `${name}-${spec.key}`,
                    {
                        spec,
                        context,
                        dependsOn,
                        upstreamRuns: jobsBefore(model, spec.key).map((k) => jobs[k].runToken),
                        environment: processes.jobEnvironment(spec),
                    },
                    { parent: this },
                );
                jobs[spec.key] = job;
                ready.set(spec.key, [job.run]);
                continue;
            }
            const rendered = processes.service(spec, {
                name: `${name}-${spec.key}`,
                parent: this,
                dependsOn,
                restartToken: spec.restartAfter === undefined ? undefined : jobs[spec.restartAfter].runToken,
            });
            ready.set(spec.key, rendered.ready);
            names.push(...rendered.names);
        }
        this.jobs = jobs;
        this.serviceNames = pulumi.all(names);
        this.registerOutputs({});
    }
}
