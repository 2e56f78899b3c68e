import * as pulumi from "@pulumi/pulumi";
import { SecretKey } from "../config/schema";
import { BenchJob } from "../jobs/job";
import { jobsBefore } from "../bench/model/types";
import { JobContext } from "../jobs/context";
import { SwarmPlan } from "./plan";
import { SwarmSecrets } from "./secrets";
import { SwarmService } from "./service";
import { SwarmRenderContext } from "./spec";

export interface SwarmBenchArgs {
    /** The service model as Swarm runs it, with each service's Swarm settings (see `planSwarm`). */
    readonly plan: SwarmPlan;
    /** What the services share: image, overlay network ID, volumes, logging, update policy. */
    readonly context: Omit<SwarmRenderContext, "secrets">;
    /** What the run-once jobs share (the same `docker run` as on one host, against a manager). */
    readonly jobContext: JobContext;
    /** Secret values, Pulumi secrets; the ones the services read become Swarm secrets. */
    readonly secretValues: Readonly<Partial<Record<SecretKey, pulumi.Input<string>>>>;
}

/**
 * The bench on Swarm, wired exactly like `Bench` on one host: a service is ready when it converged
 * (every task running and healthy), a job when it exited 0, and each process waits for what it comes
 * after in the model. Jobs are the same `BenchJob` (`docker run` on the manager `docker:host` points
 * at, on the attachable overlay network, the sites volume mounted with the shared driver options).
 */
export class SwarmBench extends pulumi.ComponentResource {
    public readonly services: Readonly<Record<string, SwarmService>>;
    public readonly jobs: Readonly<Record<string, BenchJob>>;

    constructor(name: string, args: SwarmBenchArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:swarm:Bench", name, {}, opts);
        const { model, services: settings } = args.plan;
        const keys = new Set<SecretKey>();
        model.processes
            .filter((p) => p.kind === "service")
            .forEach((p) => p.secretFiles.forEach((f) => keys.add(f.secret)));
        const secrets = new SwarmSecrets(
            `${name}-secrets`,
            { stack: args.context.stack, keys: [...keys].sort(), values: args.secretValues },
            { parent: this },
        );
        const context: SwarmRenderContext = { ...args.context, secrets: secrets.refs };
        const ready = new Map<string, pulumi.Input<pulumi.Resource>>();
        const services: Record<string, SwarmService> = {};
        const jobs: Record<string, BenchJob> = {};
        for (const spec of model.processes) {
            const dependsOn = spec.after.map((key) => {
                const dep = ready.get(key);
                if (dep === undefined) {
                    throw new Error(`bench model: ${spec.key} comes after ${key}, which is not defined before it`);
                }
                return dep;
            });
            if (spec.kind === "job") {
                const upstreamRuns = jobsBefore(model, spec.key).map((k) => jobs[k].runToken);
                const job = new BenchJob(
                    `${name}-${spec.key}`,
                    { spec, context: args.jobContext, dependsOn, upstreamRuns },
                    { parent: this },
                );
                jobs[spec.key] = job;
                ready.set(spec.key, job.run);
                continue;
            }
            const restartAfter = spec.restartAfter === undefined ? undefined : jobs[spec.restartAfter];
            const svc = new SwarmService(
                `${name}-${spec.key}`,
                {
                    spec,
                    settings: settings[spec.key],
                    context,
                    dependsOn,
                    // A new value whenever that job ran: Swarm rolls the service and its tasks reread their config.
                    extraEnv: restartAfter ? { FRAPPE_CONFIG_RUN: restartAfter.runToken } : {},
                },
                { parent: this },
            );
            services[spec.key] = svc;
            ready.set(spec.key, svc.service);
        }
        this.services = services;
        this.jobs = jobs;
        this.registerOutputs({});
    }
}
