import { Engine } from "./engineApi";

/**
 * What pulumi-docker v5 does with the inputs of a `docker.Service`, `docker.Secret`,
 * `docker.ServiceConfig`, `docker.Network` and `docker.Volume` once they reach the Docker engine:
 * kreuzwerker/terraform-provider-docker v4.5.0 (the provider pulumi-docker bridges), translated field
 * by field. Each function here is one function of the provider, named after it, in
 * internal/provider/resource_docker_service_structures.go unless said otherwise; the inputs arrive
 * with Pulumi's names (camelCase, `networksAdvanceds`, `commands`, `tests`), which the bridge maps to
 * the Terraform schema's (`networks_advanced`, `command`, `test`). Terraform hands the provider every
 * attribute of a nested block, unset ones as their schema default or zero value, so the defaults of
 * resource_docker_service.go are applied where an input is absent. The JSON is the Go struct the
 * provider builds (moby api/types/swarm), as its client sends it.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v ?? {}) as Obj;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown, dflt = ""): string => (typeof v === "string" ? v : dflt);
const num = (v: unknown, dflt = 0): number => (typeof v === "number" ? v : dflt);

const NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration in nanoseconds; 0 for what it refuses (the provider ignores the error). */
export function goParseDuration(text: string): number {
    if (text === "0") {
        return 0;
    }
    const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
    let total = 0;
    let consumed = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        total += Number(m[1]) * NS[m[2]];
        consumed = re.lastIndex;
    }
    return text !== "" && consumed === text.length ? Math.round(total) : 0;
}

/** labelSetToMap (labels.go): the provider's `labels` set of {label, value} as a map. */
function labelSetToMap(labels: unknown): Record<string, string> {
    return Object.fromEntries(list(labels).map((l) => [str(obj(l).label), str(obj(l).value)]));
}

/** mapTypeMapValsToStringSlice: env as KEY=VALUE. */
function envList(env: unknown): string[] {
    return Object.entries(obj(env)).map(([k, v]) => `${k}=${String(v)}`);
}

/** The mounts loop of createContainerSpec. */
function createMounts(mounts: unknown): Obj[] {
    return list(mounts).map((raw) => {
        const m = obj(raw);
        const mount: Obj = { Type: str(m.type), Target: str(m.target), Source: str(m.source) };
        mount.ReadOnly = m.readOnly === true;
        if (m.bindOptions !== undefined) {
            // bind_options.propagation defaults to rprivate (resource_docker_service.go).
            mount.BindOptions = { Propagation: str(obj(m.bindOptions).propagation, "rprivate") };
        }
        if (m.volumeOptions !== undefined) {
            const v = obj(m.volumeOptions);
            // driver_name and driver_options are always in Terraform's map, set or not: DriverConfig always.
            mount.VolumeOptions = {
                NoCopy: v.noCopy === true,
                Labels: labelSetToMap(v.labels),
                DriverConfig: { Name: str(v.driverName), Options: { ...obj(v.driverOptions) } },
            };
        }
        if (m.tmpfsOptions !== undefined) {
            const t = obj(m.tmpfsOptions);
            mount.TmpfsOptions = { SizeBytes: num(t.sizeBytes), Mode: num(t.mode) };
        }
        return mount;
    });
}

/** The secrets and configs loops of createContainerSpec: file_uid/file_gid default "0", file_mode 0o444. */
function fileTarget(r: Obj): Obj {
    return { Name: str(r.fileName), UID: str(r.fileUid, "0"), GID: str(r.fileGid, "0"), Mode: num(r.fileMode, 0o444) };
}

/** The healthcheck block of createContainerSpec: interval/timeout/start_period default 0s, retries 0. */
function createHealthcheck(h: unknown): Obj {
    if (h === undefined) {
        return {};
    }
    const c = obj(h);
    return {
        Test: list(c.tests).map(String),
        Interval: goParseDuration(str(c.interval, "0s")),
        Timeout: goParseDuration(str(c.timeout, "0s")),
        StartPeriod: goParseDuration(str(c.startPeriod, "0s")),
        Retries: num(c.retries),
    };
}

/** createContainerSpec. */
export function createContainerSpec(raw: unknown): Obj {
    const c = obj(raw);
    return {
        Image: str(c.image),
        Labels: labelSetToMap(c.labels),
        Command: list(c.commands).map(String),
        Args: list(c.args).map(String),
        Hostname: str(c.hostname),
        Env: envList(c.env),
        Dir: str(c.dir),
        User: str(c.user),
        Groups: list(c.groups).map(String),
        // privileges: an empty list unless set, so no Privileges.
        ReadOnly: c.readOnly === true,
        Mounts: createMounts(c.mounts),
        StopSignal: str(c.stopSignal),
        // stop_grace_period is Optional+Computed: unset it is "", which ParseDuration reads as 0 (a pointer to 0).
        StopGracePeriod: goParseDuration(str(c.stopGracePeriod)),
        // An empty HealthConfig when no block is given (the key is always in Terraform's map).
        Healthcheck: createHealthcheck(c.healthcheck),
        // extraHostsSetToServiceExtraHosts: "<ip> <host>".
        Hosts: list(c.hosts).map((h) => `${str(obj(h).ip)} ${str(obj(h).host)}`),
        DNSConfig: c.dnsConfig === undefined ? {} : dnsConfig(obj(c.dnsConfig)),
        Secrets: list(c.secrets).map((raw) => {
            const s = obj(raw);
            return { SecretID: str(s.secretId), SecretName: str(s.secretName), File: fileTarget(s) };
        }),
        Configs: list(c.configs).map((raw) => {
            const s = obj(raw);
            return { ConfigID: str(s.configId), ConfigName: str(s.configName), File: fileTarget(s) };
        }),
        Isolation: str(c.isolation, "default"),
        Sysctls: { ...obj(c.sysctl) },
        CapabilityAdd: list(c.capAdds).map(String),
        CapabilityDrop: list(c.capDrops).map(String),
        // supportsServiceContainerInit: API >= 1.37 (20.10 speaks 1.41), so `init` (Computed, false unset) is sent.
        Init: c.init === true,
    };
}

function dnsConfig(d: Obj): Obj {
    return {
        Nameservers: list(d.nameservers).map(String),
        Search: list(d.searches).map(String),
        Options: list(d.options).map(String),
    };
}

/** createResources: an empty ResourceRequirements unless limits or a reservation are set. */
function createResources(raw: unknown): Obj {
    const r = obj(raw);
    const out: Obj = {};
    if (r.limits !== undefined) {
        out.Limits = { NanoCPUs: num(obj(r.limits).nanoCpus), MemoryBytes: num(obj(r.limits).memoryBytes) };
    }
    if (r.reservation !== undefined) {
        const v = obj(r.reservation);
        out.Reservations = { NanoCPUs: num(v.nanoCpus), MemoryBytes: num(v.memoryBytes) };
    }
    return out;
}

/** createRestartPolicy: every key of the block is read, unset ones as zero (delay/window "" parse as 0). */
function createRestartPolicy(raw: unknown): Obj {
    if (raw === undefined) {
        return {};
    }
    const r = obj(raw);
    return {
        Condition: str(r.condition),
        Delay: goParseDuration(str(r.delay)),
        MaxAttempts: num(r.maxAttempts),
        Window: goParseDuration(str(r.window)),
    };
}

/** createPlacement: constraints, prefs (spread=...), platforms and max_replicas of the block. */
function createPlacement(raw: unknown): Obj {
    if (raw === undefined) {
        return {};
    }
    const p = obj(raw);
    return {
        Constraints: list(p.constraints).map(String),
        // stringSetToPlacementPrefs: each string is the spread descriptor as given.
        Preferences: list(p.prefs).map((x) => ({ Spread: { SpreadDescriptor: String(x) } })),
        Platforms: list(p.platforms).map((x) => ({ Architecture: str(obj(x).architecture), OS: str(obj(x).os) })),
        MaxReplicas: num(p.maxReplicas),
    };
}

/** createServiceAdvancedNetworks: Target is the id, else the (deprecated) name; driver_opts "k=v" pairs. */
function createServiceAdvancedNetworks(raw: unknown): Obj[] {
    return list(raw).map((n) => {
        const x = obj(n);
        const target = str(x.id) !== "" ? str(x.id) : str(x.name);
        if (target === "") {
            throw new Error("network 'name' or 'id' must be specified");
        }
        // stringSetToMapStringString (resource_docker_container_structures.go): "k=v" pairs, others skipped.
        const driverOpts = Object.fromEntries(
            list(x.driverOpts)
                .map(String)
                .filter((o) => o.includes("="))
                .map((o) => [o.slice(0, o.indexOf("=")), o.slice(o.indexOf("=") + 1)]),
        );
        return { Target: target, Aliases: list(x.aliases).map(String), DriverOpts: driverOpts };
    });
}

/** createLogDriver: nil without a block. */
function createLogDriver(raw: unknown): Obj | undefined {
    if (raw === undefined) {
        return undefined;
    }
    return { Name: str(obj(raw).name), Options: { ...obj(obj(raw).options) } };
}

/** createServiceTaskSpec: restart_policy and placement are Optional+Computed, so present (maybe empty). */
function createServiceTaskSpec(raw: unknown): Obj {
    const t = obj(raw);
    return {
        ContainerSpec: createContainerSpec(t.containerSpec),
        Resources: createResources(t.resources),
        RestartPolicy: createRestartPolicy(t.restartPolicy),
        Placement: createPlacement(t.placement),
        ForceUpdate: num(t.forceUpdate),
        Runtime: str(t.runtime),
        Networks: createServiceAdvancedNetworks(t.networksAdvanceds),
        LogDriver: createLogDriver(t.logDriver),
    };
}

/** createServiceMode: replicated with replicas (default 1), or global. */
function createServiceMode(raw: unknown): Obj {
    const m = obj(raw);
    if (m.global === true) {
        return { Global: {} };
    }
    if (m.replicated !== undefined) {
        return { Replicated: { Replicas: num(obj(m.replicated).replicas, 1) } };
    }
    return {};
}

/** createUpdateOrRollbackConfig, with the defaults of update_config / rollback_config. */
function createUpdateOrRollbackConfig(raw: unknown): Obj | undefined {
    if (raw === undefined) {
        return undefined;
    }
    const u = obj(raw);
    return {
        Parallelism: num(u.parallelism, 1),
        Delay: goParseDuration(str(u.delay, "0s")),
        FailureAction: str(u.failureAction, "pause"),
        Monitor: goParseDuration(str(u.monitor, "5s")),
        MaxFailureRatio: parseFloat(str(u.maxFailureRatio, "0.0")),
        Order: str(u.order, "stop-first"),
    };
}

/** createServiceEndpointSpec and portSetToServicePorts: protocol tcp and publish_mode ingress by default. */
function createServiceEndpointSpec(raw: unknown): Obj {
    if (raw === undefined) {
        return {};
    }
    const e = obj(raw);
    return {
        // Optional+Computed: unset it is "", which the engine reads as vip.
        Mode: str(e.mode),
        Ports: list(e.ports).map((p) => {
            const x = obj(p);
            return {
                Name: str(x.name),
                Protocol: str(x.protocol, "tcp"),
                TargetPort: num(x.targetPort),
                PublishedPort: num(x.publishedPort),
                PublishMode: str(x.publishMode, "ingress"),
            };
        }),
    };
}

/** createServiceSpec: the swarm.ServiceSpec of a docker.Service's inputs. */
export function createServiceSpec(inputs: Obj): Obj {
    return {
        Name: str(inputs.name),
        Labels: labelSetToMap(inputs.labels),
        TaskTemplate: createServiceTaskSpec(inputs.taskSpec),
        Mode: createServiceMode(inputs.mode),
        UpdateConfig: createUpdateOrRollbackConfig(inputs.updateConfig),
        RollbackConfig: createUpdateOrRollbackConfig(inputs.rollbackConfig),
        EndpointSpec: createServiceEndpointSpec(inputs.endpointSpec),
    };
}

/** createConvergeConfig with converge_config's defaults (delay 7s, timeout 3m); undefined without the block. */
export function createConvergeConfig(
    inputs: Obj,
): { delayMs: number; timeoutMs: number; timeoutRaw: string } | undefined {
    if (inputs.convergeConfig === undefined) {
        return undefined;
    }
    const c = obj(inputs.convergeConfig);
    const timeoutRaw = str(c.timeout, "3m");
    return {
        delayMs: goParseDuration(str(c.delay, "7s")) / 1e6,
        timeoutMs: goParseDuration(timeoutRaw) / 1e6,
        timeoutRaw,
    };
}

/**
 * retrieveAndMarshalAuth (resource_docker_service_funcs.go): the service's `auth` when username and
 * password are set (authToServiceAuth), else the provider's registry auth for the image's registry,
 * none here; JSON-marshalled and base64url-encoded (resourceDockerServiceCreate) for X-Registry-Auth.
 */
export function registryAuthHeader(inputs: Obj): string {
    const a = obj(inputs.auth);
    const auth =
        str(a.username) !== "" && str(a.password) !== ""
            ? { username: str(a.username), password: str(a.password), serveraddress: str(a.serverAddress) }
            : {};
    return Buffer.from(JSON.stringify(auth)).toString("base64url");
}

/** moby client imageWithTagString: an image without tag or digest gets `:latest`. */
export function imageWithTag(image: string): string {
    const last = image.slice(image.lastIndexOf("/") + 1);
    return image.includes("@") || last.includes(":") ? image : `${image}:latest`;
}

/** The provider's delete of a secret, config, network or volume, by id (the resources' Delete funcs). */
export async function removeObject(engine: Engine, kind: "secrets" | "configs" | "networks" | "volumes", id: string) {
    await engine.call("DELETE", `/${kind}/${encodeURIComponent(id)}`);
}

/** resourceDockerSecretCreate (resource_docker_secret.go): name, labels, data base64-decoded. */
export async function createSecret(engine: Engine, inputs: Obj, name: string): Promise<string> {
    const spec = { Name: name, Labels: labelSetToMap(inputs.labels), Data: str(inputs.data) };
    return (await engine.call<{ ID: string }>("POST", "/secrets/create", { body: spec })).ID;
}

/** resourceDockerConfigCreate (resource_docker_config.go): as a secret; data_raw would be sent as is. */
export async function createConfig(engine: Engine, inputs: Obj, name: string): Promise<string> {
    const data = inputs.dataRaw !== undefined ? Buffer.from(str(inputs.dataRaw)).toString("base64") : str(inputs.data);
    const spec = { Name: name, Labels: labelSetToMap(inputs.labels), Data: data };
    return (await engine.call<{ ID: string }>("POST", "/configs/create", { body: spec })).ID;
}

/** resourceDockerNetworkCreate (resource_docker_network_funcs.go): GetOk fields, so false/empty ones are left out. */
export async function createNetwork(engine: Engine, inputs: Obj): Promise<string> {
    const body: Obj = { Name: str(inputs.name), Labels: labelSetToMap(inputs.labels) };
    if (str(inputs.driver) !== "") body.Driver = str(inputs.driver);
    if (inputs.options !== undefined) body.Options = { ...obj(inputs.options) };
    if (inputs.internal === true) body.Internal = true;
    if (inputs.attachable === true) body.Attachable = true;
    if (inputs.ingress === true) body.Ingress = true;
    if (inputs.ipv6 === true) body.EnableIPv6 = true;
    return (await engine.call<{ Id: string }>("POST", "/networks/create", { body })).Id;
}

/**
 * The subnet the engine allocated to a network, as the provider's Read stores it (resourceDockerNetworkReadRefreshFunc:
 * ipam_config from the inspected IPAM.Config, flattenIpamConfigSpec).
 */
export async function allocatedSubnet(engine: Engine, id: string): Promise<string | undefined> {
    const n = await engine.call<{ IPAM?: { Config?: { Subnet?: string }[] } }>("GET", `/networks/${id}`);
    return n.IPAM?.Config?.[0]?.Subnet;
}

/** resourceDockerVolumeCreate (resource_docker_volume.go): name, labels, driver, driver_opts. */
export async function createVolume(engine: Engine, inputs: Obj): Promise<string> {
    const body: Obj = { Name: str(inputs.name), Labels: labelSetToMap(inputs.labels) };
    if (str(inputs.driver) !== "") body.Driver = str(inputs.driver);
    if (inputs.driverOpts !== undefined) body.DriverOpts = { ...obj(inputs.driverOpts) };
    return (await engine.call<{ Name: string }>("POST", "/volumes/create", { body })).Name;
}
