import * as pulumi from "@pulumi/pulumi";
import { BenchJob } from "../jobs/job";
import { BenchModel, jobsBefore } from "../bench/model/types";
import { RenderContext } from "./render";
import { BenchService } from "./service";

export interface BenchArgs {
    /** Every process of the bench, in dependency order (see `buildBenchModel`). */
    readonly model: BenchModel;
    /** Image, network, volume names, secrets and stack-wide settings. */
    readonly context: RenderContext;
}

/**
 * Turns the service model into containers and job runs, wiring each one after what it depends on: a
 * service is ready when its container is created (healthy, for those that wait), a job when it exited 0.
 */
export class Bench extends pulumi.ComponentResource {
    public readonly services: Readonly<Record<string, BenchService>>;
    public readonly jobs: Readonly<Record<string, BenchJob>>;

    constructor(name: string, args: BenchArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:bench:Bench", name, {}, opts);
        const ready = new Map<string, pulumi.Input<pulumi.Resource>>();
        const services: Record<string, BenchService> = {};
        const jobs: Record<string, BenchJob> = {};
        for (const spec of args.model.processes) {
            const dependsOn = spec.after.map((key) => {
                const dep = ready.get(key);
                if (dep === undefined) {
                    throw new Error(`bench model: ${spec.key} comes after ${key}, which is not defined before it`);
                }
                return dep;
            });
            if (spec.kind === "job") {
                const upstreamRuns = jobsBefore(args.model, spec.key).map((k) => jobs[k].runToken);
                const job = new BenchJob(
                    `${name}-${spec.key}`,
                    { spec, context: args.context, dependsOn, upstreamRuns },
                    { parent: this },
                );
                jobs[spec.key] = job;
                ready.set(spec.key, job.run);
            } else {
                const restartAfter = spec.restartAfter === undefined ? undefined : jobs[spec.restartAfter];
                const svc = new BenchService(
                    `${name}-${spec.key}`,
                    {
                        spec,
                        context: args.context,
                        dependsOn,
                        // FRAPPE_CONFIG_RUN exists only to force re-creation: nothing in the container reads
                        // it. Its value is the configurator's run token, new whenever that job ran, and a
                        // changed env replaces the container (the Docker provider has no in-place update of
                        // env), so the process starts again and rereads common_site_config.json.
                        extraEnv: restartAfter ? { FRAPPE_CONFIG_RUN: restartAfter.runToken } : {},
                    },
                    { parent: this },
                );
                services[spec.key] = svc;
                ready.set(spec.key, svc.container);
            }
        }
        this.services = services;
        this.jobs = jobs;
        this.registerOutputs({});
    }
}
