import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, STACK_LABEL } from "../conventions/naming";
import { VolumeDriver } from "../jobs/context";
import { VolumeKey } from "../bench/model/types";
import { readScript } from "../bench/scriptFiles";

const VOLUME_LABEL = "frappe.volume";

/** Single-quotes a value for sh: the adopted-volumes check builds its command line with it. */
function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Fails unless every adopted volume exists (see the script's header). */
export const ADOPTED_VOLUMES_SCRIPT = readScript("adopted-volumes.sh");

export interface BenchVolumesArgs {
    /** Pulumi stack name; prefixes the Docker names. */
    readonly stack: string;
    /** Which volumes the stack needs (from the service model). */
    readonly keys: readonly VolumeKey[];
    /** `frappe:volumes`: existing Docker volumes used as they are instead of creating these keys. */
    readonly adopted?: Readonly<Partial<Record<VolumeKey, string>>>;
    /** The Docker provider's host; the existence check of adopted volumes runs against the same host. */
    readonly dockerHost?: string;
    /** Volumes created with a driver and options (Swarm's shared sites volume); the others are plain local ones. */
    readonly drivers?: Readonly<Partial<Record<VolumeKey, VolumeDriver>>>;
}

/**
 * The named volumes holding sites, logs, the database, queued jobs and certificates.
 *
 * Volumes this stack creates are protected (no deploy or `pulumi destroy` deletes them) and retained on
 * delete (removing one from the program, or `pulumi state delete`, leaves the Docker volume in place).
 * Every volume input is replace-on-change in the provider, so the inputs are deliberately minimal and fixed.
 *
 * Adopted volumes (`frappe:volumes`, e.g. a frappe_docker project's `erpnext_sites`) get no
 * `docker.Volume` at all: a registered volume would be the provider's to delete and to replace when
 * its labels differ (kreuzwerker/terraform-provider-docker v4.5.0,
 * internal/provider/resource_docker_volume.go: `name`, `labels`, `driver`, `driver_opts` are ForceNew;
 * Create calls VolumeCreate, which the engine answers with the existing volume of that name; Delete calls
 * VolumeRemove with force). Containers mount them by name, after a check that they exist.
 */
export class BenchVolumes extends pulumi.ComponentResource {
    public readonly volumes: Readonly<Partial<Record<VolumeKey, docker.Volume>>>;
    public readonly names: Readonly<Partial<Record<VolumeKey, pulumi.Output<string>>>>;

    constructor(name: string, args: BenchVolumesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:bench:Volumes", name, {}, opts);
        const volumes: Partial<Record<VolumeKey, docker.Volume>> = {};
        const names: Partial<Record<VolumeKey, pulumi.Output<string>>> = {};
        const adopted = args.keys.filter((k) => args.adopted?.[k] !== undefined);
        const check = adopted.length === 0 ? undefined : this.checkAdopted(name, adopted, args);
        for (const key of args.keys) {
            const existing = args.adopted?.[key];
            if (existing !== undefined && check !== undefined) {
                // Read through the check's output: whatever mounts the volume waits until it was found.
                names[key] = check.stdout.apply(() => existing);
                continue;
            }
            const driver = args.drivers?.[key];
            const volume = new docker.Volume(
                `${name}-${key}`,
                {
                    name: dockerName(args.stack, key),
                    ...(driver ? { driver: driver.driver, driverOpts: { ...driver.options } } : {}),
                    labels: [
                        { label: STACK_LABEL, value: args.stack },
                        { label: VOLUME_LABEL, value: key },
                    ],
                },
                { parent: this, protect: true, retainOnDelete: true },
            );
            volumes[key] = volume;
            // With adopted volumes, the stack's own are also mounted only after the check passed.
            names[key] = check === undefined ? volume.name : pulumi.all([volume.name, check.stdout]).apply(([n]) => n);
        }
        this.volumes = volumes;
        this.names = names;
        this.registerOutputs({ names });
    }

    /** One `docker volume inspect` of every adopted volume; a missing one fails the deploy before any mount. */
    private checkAdopted(name: string, keys: readonly VolumeKey[], args: BenchVolumesArgs): command.local.Command {
        const list = keys.map((k) => shellQuote(args.adopted?.[k] ?? "")).join(" ");
        return new command.local.Command(
            `${name}-adopted-check`,
            {
                create: [
                    `name=${shellQuote(dockerName(args.stack, "adopted-volumes"))}`,
                    `stack=${shellQuote(args.stack)}`,
                    `set -- ${list}`,
                    ADOPTED_VOLUMES_SCRIPT,
                ].join("\n"),
                environment: args.dockerHost === undefined ? {} : { DOCKER_HOST: args.dockerHost },
                logging: "stdoutAndStderr",
                addPreviousOutputInEnv: false,
            },
            { parent: this },
        );
    }
}
