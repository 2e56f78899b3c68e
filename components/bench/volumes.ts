import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, STACK_LABEL } from "../conventions/naming";
import { VolumeKey } from "./model";

export const VOLUME_LABEL = "frappe.volume";

export interface BenchVolumesArgs {
    /** Pulumi stack name; prefixes the Docker names. */
    readonly stack: string;
    /** Which volumes the stack needs (from the service model). */
    readonly keys: readonly VolumeKey[];
}

/**
 * The named volumes holding sites, logs, the database, queued jobs and certificates.
 * Every one is protected (no deploy or `pulumi destroy` deletes it) and retained on delete (removing
 * it from the program, or `pulumi state delete`, leaves the Docker volume in place). Every volume
 * input is replace-on-change in the provider, so the inputs here are deliberately minimal and fixed.
 */
export class BenchVolumes extends pulumi.ComponentResource {
    public readonly volumes: Readonly<Partial<Record<VolumeKey, docker.Volume>>>;
    public readonly names: Readonly<Partial<Record<VolumeKey, pulumi.Output<string>>>>;

    constructor(name: string, args: BenchVolumesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:bench:Volumes", name, {}, opts);
        const volumes: Partial<Record<VolumeKey, docker.Volume>> = {};
        const names: Partial<Record<VolumeKey, pulumi.Output<string>>> = {};
        for (const key of args.keys) {
            const volume = new docker.Volume(
                `${name}-${key}`,
                {
                    name: dockerName(args.stack, key),
                    labels: [
                        { label: STACK_LABEL, value: args.stack },
                        { label: VOLUME_LABEL, value: key },
                    ],
                },
                { parent: this, protect: true, retainOnDelete: true },
            );
            volumes[key] = volume;
            names[key] = volume.name;
        }
        this.volumes = volumes;
        this.names = names;
        this.registerOutputs({ names });
    }
}
