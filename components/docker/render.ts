import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, standardLabels } from "../conventions/naming";
import { SecretKey } from "../config/schema";
import { volumeMounts } from "../jobs/context";
import { NetworkKey, VolumeKey } from "../bench/model/types";
import { RoutedSpec } from "../renderer/traefik";

/** What a process of the model needs from the world to become a container. */
export interface RenderContext {
    readonly stack: string;
    /** The bench's Frappe image reference (`repo:tag@digest`); unknown until the build finishes when building. */
    readonly frappeImage: pulumi.Input<string>;
    /** Docker network names by the model's network keys. */
    readonly networks: Readonly<Partial<Record<NetworkKey, pulumi.Input<string>>>>;
    /** Docker volume name per volume key. */
    readonly volumes: Readonly<Partial<Record<VolumeKey, pulumi.Input<string>>>>;
    readonly secrets: Readonly<Partial<Record<SecretKey, pulumi.Input<string>>>>;
    readonly logging: { readonly driver: string; readonly maxSize: string; readonly maxFile: number };
    readonly restartPolicy: string;
}

/**
 * One container of a process: the model's spec (`key` is the container's: `queue-short-2` for a copy)
 * with what only one Docker host needs.
 */
export type ContainerSpec = RoutedSpec;

/** A network of the process by its Docker name; every process joins at least one. */
function networkName(spec: ContainerSpec, key: NetworkKey, ctx: RenderContext): pulumi.Input<string> {
    const name = ctx.networks[key];
    if (name === undefined) {
        throw new Error(`${spec.key}: network ${key} is not part of this stack`);
    }
    return name;
}

/** Inputs of a long-running container: image, command, env, files, mounts, networks and labels. */
export function commonContainerArgs(spec: ContainerSpec, ctx: RenderContext): docker.ContainerArgs {
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
    if (spec.networks.length === 0) {
        throw new Error(`${spec.key}: the process joins no network`);
    }
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
        networksAdvanced: spec.networks.map((key) => ({
            name: networkName(spec, key, ctx),
            aliases: [...spec.aliases],
        })),
        labels: standardLabels(ctx.stack, spec.role, spec.labels),
        ...privilegeArgs(spec),
        logDriver: ctx.logging.driver,
        logOpts: { "max-size": ctx.logging.maxSize, "max-file": String(ctx.logging.maxFile) },
    };
}

/**
 * Least privilege on one Docker host: every capability dropped but the kept ones, and no-new-privileges
 * (no setuid binary or file capability raises them at exec). No read-only root: the provider writes the
 * uploads (scripts, routes, secrets) through the engine's archive API when it creates the container, which
 * a read-only root refuses ("container rootfs is marked read-only", moby daemon/archive.go; test/providerRules.ts).
 */
function privilegeArgs(spec: ContainerSpec): Pick<docker.ContainerArgs, "capabilities" | "securityOpts"> {
    if (spec.privileges === undefined) {
        return {};
    }
    return {
        capabilities: { drops: ["ALL"], adds: [...spec.privileges.capabilities] },
        securityOpts: ["no-new-privileges:true"],
    };
}

/** Pulumi options of every container: replace cleanly, and keep secret-bearing outputs secret. */
export function containerOptions(spec: ContainerSpec): pulumi.CustomResourceOptions {
    return {
        // The provider replaces containers delete-first anyway; saying so keeps published ports from clashing.
        deleteBeforeReplace: true,
        additionalSecretOutputs: spec.secretFiles.length > 0 ? ["uploads"] : [],
        // Docker ignores in-place healthcheck edits (kreuzwerker#988): only a new container gets a new check.
        replaceOnChanges: ["healthcheck"],
    };
}
