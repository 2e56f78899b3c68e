import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { SecretKey } from "../config/schema";
import { durationSeconds, SwarmConfig } from "../config/swarmSchema";
import { dockerName, standardLabels } from "../conventions/naming";
import { FRAPPE_GID, FRAPPE_UID } from "../bench/layout";
import { VolumeDriver } from "../jobs/context";
import { NetworkKey, ServiceSpec, VolumeKey } from "../bench/model/types";
import { RoutedSpec } from "../renderer/traefik";
import { shortDuration } from "./durations";
import { SwarmServiceSettings } from "./plan";

/**
 * Inputs of a `docker.Service` from a service of the model and its Swarm settings. The field rules
 * are kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_service.go (the
 * schema pulumi-docker v5 bridges); test/swarmMocks.ts encodes them.
 */

/** A process of the model as Swarm runs it (with the proxy's socket bind). */
export type SwarmServiceSpec = RoutedSpec;

/** A Swarm secret or config as a service references it. */
export interface SwarmObjectRef {
    readonly id: pulumi.Input<string>;
    readonly name: pulumi.Input<string>;
}

/** Registry credentials the nodes pull the bench's image with. */
export interface SwarmRegistryAuth {
    readonly serverAddress: string;
    readonly username: string;
    readonly password: pulumi.Input<string>;
}

/** What every service of a stack shares on Swarm. */
export interface SwarmRenderContext {
    readonly stack: string;
    readonly frappeImage: pulumi.Input<string>;
    /** Network IDs by the model's network keys (the provider replaces services on every run when given names). */
    readonly networkIds: Readonly<Partial<Record<NetworkKey, pulumi.Input<string>>>>;
    readonly volumes: Readonly<Partial<Record<VolumeKey, pulumi.Input<string>>>>;
    readonly volumeDrivers: Readonly<Partial<Record<VolumeKey, VolumeDriver>>>;
    readonly secrets: Readonly<Partial<Record<SecretKey, SwarmObjectRef>>>;
    readonly logging: { readonly driver: string; readonly maxSize: string; readonly maxFile: number };
    readonly restartPolicy: string;
    readonly update: SwarmConfig["update"];
    readonly registryAuth?: SwarmRegistryAuth;
}

/** A config duration (10s, 1m0s, 1m30s: `frappe:swarm.update`) in the form the service resource reads back. */
function swarmDuration(d: string): string {
    const seconds = durationSeconds(d);
    if (seconds === undefined) {
        throw new Error(`swarm: ${d} is not a duration in whole seconds`);
    }
    return shortDuration(seconds);
}

/** Swarm's restart conditions are none, on-failure and any; a stopped-by-hand task is Swarm's business. */
function restartCondition(policy: string): "any" | "on-failure" {
    return policy === "on-failure" ? "on-failure" : "any";
}

/** The networks of a service by ID, each with the service's aliases; every service joins at least one. */
function serviceNetworks(
    spec: ServiceSpec,
    ctx: SwarmRenderContext,
): docker.types.input.ServiceTaskSpecNetworksAdvanced[] {
    if (spec.networks.length === 0) {
        throw new Error(`${spec.key}: the service joins no network`);
    }
    return spec.networks.map((key) => {
        const id = ctx.networkIds[key];
        if (id === undefined) {
            throw new Error(`${spec.key}: network ${key} is not part of this stack`);
        }
        return { id, aliases: [...spec.aliases] };
    });
}

/** Octal file mode of the model ("0400") as the number the provider takes (256). */
export function fileMode(mode: string): number {
    return parseInt(mode, 8);
}

function mounts(
    spec: SwarmServiceSpec,
    ctx: SwarmRenderContext,
): docker.types.input.ServiceTaskSpecContainerSpecMount[] {
    const volumes = spec.mounts.map((m) => {
        const source = ctx.volumes[m.volume];
        if (source === undefined) {
            throw new Error(`${spec.key}: volume ${m.volume} is not part of this stack`);
        }
        const d = ctx.volumeDrivers[m.volume];
        return {
            type: "volume",
            source,
            target: m.containerPath,
            readOnly: m.readOnly ?? false,
            // Each node creates the volume with these options the first time a task mounts it there.
            volumeOptions: d ? { driverName: d.driver, driverOptions: { ...d.options } } : undefined,
        };
    });
    const binds = spec.binds.map((b) => ({
        type: "bind",
        source: b.hostPath,
        target: b.containerPath,
        readOnly: b.readOnly,
    }));
    return [...volumes, ...binds];
}

function secrets(spec: ServiceSpec, ctx: SwarmRenderContext): docker.types.input.ServiceTaskSpecContainerSpecSecret[] {
    return spec.secretFiles.map((f) => {
        const ref = ctx.secrets[f.secret];
        if (ref === undefined) {
            throw new Error(`${spec.key}: secret ${f.secret} is needed but was not provided`);
        }
        return {
            secretId: ref.id,
            secretName: ref.name,
            fileName: f.path,
            fileUid: String(f.owner),
            fileGid: String(f.owner),
            fileMode: fileMode(f.mode),
        };
    });
}

/** The container part of the task: image, command, env, files, mounts, healthcheck, labels. */
export function containerSpec(
    spec: SwarmServiceSpec,
    ctx: SwarmRenderContext,
    extra: { env: Readonly<Record<string, pulumi.Input<string>>>; configs: readonly SwarmObjectRef[] },
): docker.types.input.ServiceTaskSpecContainerSpec {
    const h = spec.healthcheck;
    return {
        image: spec.image.kind === "frappe" ? ctx.frappeImage : spec.image.ref,
        // A service has no entrypoint field: `command` replaces the image's ENTRYPOINT, `args` its CMD.
        commands: spec.entrypoint ? [...spec.entrypoint] : undefined,
        args: spec.command ? [...spec.command] : undefined,
        env: { ...spec.env, ...extra.env },
        labels: standardLabels(ctx.stack, spec.role),
        mounts: mounts(spec, ctx),
        secrets: spec.secretFiles.length > 0 ? secrets(spec, ctx) : undefined,
        configs:
            spec.files.length === 0
                ? undefined
                : spec.files.map((f, i) => ({
                      configId: extra.configs[i].id,
                      configName: extra.configs[i].name,
                      fileName: f.path,
                      fileUid: String(FRAPPE_UID),
                      fileGid: String(FRAPPE_GID),
                      fileMode: f.executable ? 0o555 : 0o444,
                  })),
        healthcheck: {
            tests: [...h.tests],
            interval: shortDuration(h.intervalSeconds),
            timeout: shortDuration(h.timeoutSeconds),
            startPeriod: shortDuration(h.startPeriodSeconds),
            retries: h.retries,
        },
        stopGracePeriod: shortDuration(spec.stopGraceSeconds),
        ...privileges(spec),
    };
}

/**
 * Least privilege on Swarm: every capability dropped but the kept ones (API 1.41 CapabilityAdd/Drop), and a
 * read-only root (its files are Swarm configs, mounted, not written into it). No no-new-privileges: the
 * provider's service schema has no field for it (kreuzwerker/terraform-provider-docker v4.5.0
 * resource_docker_service.go, container_spec.privileges: credential_spec and se_linux_context only).
 */
function privileges(spec: SwarmServiceSpec): Partial<docker.types.input.ServiceTaskSpecContainerSpec> {
    if (spec.privileges === undefined) {
        return {};
    }
    return { capDrops: ["ALL"], capAdds: [...spec.privileges.capabilities], readOnly: true };
}

/**
 * Update and rollback: a failed update pauses or rolls back as the settings say (plan.ts
 * `failureAction`); a rollback (Swarm's, or `docker service rollback`) that fails pauses.
 */
function rollingUpdate(settings: SwarmServiceSettings, u: SwarmConfig["update"]) {
    const common = {
        parallelism: u.parallelism,
        delay: swarmDuration(u.delay),
        monitor: swarmDuration(u.monitor),
        maxFailureRatio: "0.0",
        order: settings.order,
    };
    return {
        updateConfig: { ...common, failureAction: settings.failureAction },
        // The provider accepts only pause or continue here (resource_docker_service.go, rollback_config).
        rollbackConfig: { ...common, failureAction: "pause" },
    };
}

/**
 * A Swarm port has no address to listen on (moby/swarmkit api/types.proto PortConfig; moby
 * daemon/cluster/executor/container/container.go portBindings sets only the host port), so the config layer
 * refuses frappe:proxy.bindAddress with frappe:swarm; a model port with an address never reaches here.
 */
function noAddress(key: string, address: string | undefined): Record<string, never> {
    if (address !== undefined) {
        throw new Error(`${key}: a Swarm service cannot publish a port on ${address} alone`);
    }
    return {};
}

/** Every input of the service except the container part. */
export function serviceArgs(
    spec: ServiceSpec,
    settings: SwarmServiceSettings,
    ctx: SwarmRenderContext,
    container: docker.types.input.ServiceTaskSpecContainerSpec,
): docker.ServiceArgs {
    const auth = spec.image.kind === "frappe" ? ctx.registryAuth : undefined;
    return {
        name: dockerName(ctx.stack, spec.key),
        labels: standardLabels(ctx.stack, spec.role, spec.labels),
        taskSpec: {
            containerSpec: container,
            networksAdvanceds: serviceNetworks(spec, ctx),
            placement: settings.constraints.length > 0 ? { constraints: [...settings.constraints] } : undefined,
            restartPolicy: { condition: restartCondition(ctx.restartPolicy), delay: "5s" },
            logDriver: {
                name: ctx.logging.driver,
                options: { "max-size": ctx.logging.maxSize, "max-file": String(ctx.logging.maxFile) },
            },
        },
        mode: { replicated: { replicas: settings.replicas } },
        ...rollingUpdate(settings, ctx.update),
        // On every service, so a change of frappe:swarm.endpointMode reaches them all.
        endpointSpec: {
            mode: settings.endpointMode,
            ports:
                spec.ports.length > 0
                    ? spec.ports.map((p) => ({
                          targetPort: p.internal,
                          publishedPort: p.external,
                          protocol: "tcp",
                          publishMode: settings.publishMode,
                          ...noAddress(spec.key, p.address),
                      }))
                    : undefined,
        },
        // Create and update wait until every task runs (and, with a healthcheck, is healthy); else they fail.
        convergeConfig: { delay: "7s", timeout: settings.convergeTimeout },
        auth: auth
            ? { serverAddress: auth.serverAddress, username: auth.username, password: auth.password }
            : undefined,
    };
}
