import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { SecretKey } from "../config/schema";
import { dockerName, standardLabels } from "../conventions/naming";
import { VolumeDriver } from "../jobs/jobRun";
import { ServiceSpec, VolumeKey, VolumeMount } from "../bench/model/types";

/** What a process model needs from the world to become a container. */
export interface RenderContext {
    readonly stack: string;
    /** The bench's Frappe image reference (`repo:tag@digest`); unknown until the build finishes when building. */
    readonly frappeImage: pulumi.Input<string>;
    /** Docker network name. */
    readonly network: pulumi.Input<string>;
    /** Docker volume name per volume key. */
    readonly volumes: Readonly<Partial<Record<VolumeKey, pulumi.Input<string>>>>;
    /** Volumes created with a driver and options (Swarm's shared sites volume); jobs mount them likewise. */
    readonly volumeDrivers?: Readonly<Partial<Record<VolumeKey, VolumeDriver>>>;
    readonly secrets: Readonly<Partial<Record<SecretKey, pulumi.Input<string>>>>;
    readonly logging: { readonly driver: string; readonly maxSize: string; readonly maxFile: number };
    readonly restartPolicy: string;
    /** `docker:host` (e.g. `ssh://deploy@erp.example.com`) for jobs run through the Docker CLI; unset = local. */
    readonly dockerHost?: string;
}

/**
 * A process's mounts with the stack's volume names, the one rendering of a volume list that
 * containers and jobs (`--volume name:path[:ro]`) share.
 */
export function volumeMounts<T>(
    key: string,
    mounts: readonly VolumeMount[],
    names: Readonly<Partial<Record<VolumeKey, T>>>,
): { volumeName: T; containerPath: string; readOnly: boolean }[] {
    return mounts.map((m) => {
        const volumeName = names[m.volume];
        if (volumeName === undefined) {
            throw new Error(`${key}: volume ${m.volume} is not part of this stack`);
        }
        return { volumeName, containerPath: m.containerPath, readOnly: m.readOnly ?? false };
    });
}

/** Inputs of a long-running container: image, command, env, files, mounts, network and labels. */
export function commonContainerArgs(spec: ServiceSpec, ctx: RenderContext): docker.ContainerArgs {
    const missing = spec.secretFiles.filter((f) => ctx.secrets[f.secret] === undefined).map((f) => f.secret);
    if (missing.length > 0) {
        throw new Error(`${spec.key}: secrets ${missing.join(", ")} are needed but were not provided`);
    }
    const uploads: docker.types.input.ContainerUpload[] = [
        ...spec.files.map((f) => ({ file: f.path, content: f.content, executable: f.executable })),
        ...spec.secretFiles.map((f) => ({
            file: f.path,
            content: pulumi.secret(ctx.secrets[f.secret] as pulumi.Input<string>),
            owner: f.owner,
            permissions: f.mode,
        })),
    ];
    const volumes = volumeMounts(spec.key, spec.mounts, ctx.volumes);
    const binds = spec.binds;
    return {
        name: dockerName(ctx.stack, spec.key),
        image: spec.image.kind === "frappe" ? ctx.frappeImage : spec.image.ref,
        entrypoints: spec.entrypoint ? [...spec.entrypoint] : undefined,
        command: spec.command ? [...spec.command] : undefined,
        envs: Object.keys(spec.env)
            .sort()
            .map((k) => `${k}=${spec.env[k]}`),
        uploads: uploads.length > 0 ? uploads : undefined,
        volumes: [
            ...volumes,
            ...binds.map((b) => ({ hostPath: b.hostPath, containerPath: b.containerPath, readOnly: b.readOnly })),
        ],
        networksAdvanced: [{ name: ctx.network, aliases: [...spec.aliases] }],
        labels: standardLabels(ctx.stack, spec.role, spec.labels),
        logDriver: ctx.logging.driver,
        logOpts: { "max-size": ctx.logging.maxSize, "max-file": String(ctx.logging.maxFile) },
    };
}

/** Pulumi options of every container: replace cleanly, and keep secret-bearing outputs secret. */
export function containerOptions(spec: ServiceSpec): pulumi.CustomResourceOptions {
    return {
        // The provider replaces containers delete-first anyway; saying so keeps published ports from clashing.
        deleteBeforeReplace: true,
        additionalSecretOutputs: spec.secretFiles.length > 0 ? ["uploads"] : [],
        // Docker ignores in-place healthcheck edits (kreuzwerker#988): only a new container gets a new check.
        replaceOnChanges: ["healthcheck"],
    };
}
