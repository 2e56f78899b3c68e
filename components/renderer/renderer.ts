import * as pulumi from "@pulumi/pulumi";
import { BenchModel, JobSpec, NetworkKey, ServiceSpec, VolumeKey } from "../bench/model/types";
import { SecretKey } from "../config/schema";
import { VolumeDriver } from "../jobs/context";

/**
 * A target the bench runs on (one Docker host, a Swarm), as the shared wiring (bench.ts) sees it. The
 * wiring walks the model in order and runs every job the same way everywhere (components/jobs/); a
 * renderer decides how the long-running processes run and what a job needs beyond the model.
 */
export interface BenchRenderer {
    /** Pulumi type of the component that parents the processes: part of every child's URN, so fixed per target. */
    readonly componentType: string;
    /** Docker names of the stack's networks (the model's `networks`), which jobs join by name. */
    readonly networkNames: Readonly<Partial<Record<NetworkKey, pulumi.Output<string>>>>;
    /** Volumes created with a driver and options (every node mounts the same storage); jobs mount them likewise. */
    readonly volumeDrivers: Readonly<Partial<Record<VolumeKey, VolumeDriver>>>;
    /** The processes' renderer under `bench`, called once before any process (its shared resources go there). */
    processes(bench: pulumi.ComponentResource, benchName: string, input: RenderInput): ProcessRenderer;
}

/** What every target renders: the model and the values it is rendered with. */
export interface RenderInput {
    readonly model: BenchModel;
    /** The bench's Frappe image reference (`repo:tag@digest`); unknown until the build finishes when building. */
    readonly frappeImage: pulumi.Input<string>;
    /** Docker volume name per volume key. */
    readonly volumes: Readonly<Partial<Record<VolumeKey, pulumi.Input<string>>>>;
    /** Every secret value (configured or generated), Pulumi secrets. */
    readonly secrets: Readonly<Partial<Record<SecretKey, pulumi.Input<string>>>>;
}

/** How one target runs the model's processes. */
export interface ProcessRenderer {
    /** One long-running process, with all its copies. */
    service(spec: ServiceSpec, wiring: ServiceWiring): RenderedService;
    /** What a job's command gets from this target beyond the model (the health gate's settings). */
    jobEnvironment(spec: JobSpec): Readonly<Record<string, string>>;
    /**
     * A check this target runs as a job before the model's job `before`, once what that job waits for is
     * ready (Swarm: the services answer by name, before the configurator); that job then waits for it too.
     */
    readonly preflight?: { readonly spec: JobSpec; readonly before: string };
}

/** Where a process stands: its resource name, its parent, what it waits for and what restarts it. */
export interface ServiceWiring {
    /** `<bench>-<key>`; a renderer that runs several copies suffixes it per copy. */
    readonly name: string;
    readonly parent: pulumi.Resource;
    /** Ready services (healthy, for those that wait) and succeeded jobs. */
    readonly dependsOn: readonly pulumi.Resource[];
    /** The run token of the process's `restartAfter` job: a new value must restart the process. */
    readonly restartToken?: pulumi.Output<string>;
}

/** A process as rendered: what dependants wait on, and the names operators see. */
export interface RenderedService {
    readonly ready: readonly pulumi.Resource[];
    readonly names: readonly pulumi.Output<string>[];
}
