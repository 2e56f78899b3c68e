import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, standardLabels } from "../conventions/naming";
import { JobContext, volumeMounts } from "../jobs/context";
import { ServiceSpec } from "../bench/model/types";

/** What a process model needs from the world to become a container: a job's world, plus logging and restarts. */
export interface RenderContext extends JobContext {
    readonly logging: { readonly driver: string; readonly maxSize: string; readonly maxFile: number };
    readonly restartPolicy: string;
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
            owner: String(f.owner),
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
