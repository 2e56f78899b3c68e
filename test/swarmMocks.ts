import { createHash } from "crypto";

/**
 * What the real provider and Docker refuse for the Swarm resources, so a bad Swarm rendering fails
 * under mocks instead of on a cluster. Sources (read, not guessed):
 * - S: kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_service.go
 *   (schema: Required, ValidateDiagFunc patterns, ConflictsWith), validators.go (validateDurationGeq0 =
 *   time.ParseDuration and >= 0; validateStringIsBase64Encoded = base64.StdEncoding), and
 *   resource_docker_service_structures.go (`shortDur`: how durations are read back).
 * - K: resource_docker_secret.go / resource_docker_config.go (data required and base64; config: exactly
 *   one of data and data_raw), resource_docker_network.go.
 * - W: moby/swarmkit manager/controlapi/common.go (service names: DNS label `^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$`,
 *   at most 63; secret/config names `^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$`, at most 64; secret data
 *   1 byte to 500 KiB) and manager/constraint/constraint.go (constraint syntax).
 * - B: pulumi-docker provider/resources.go `prov.SetAutonaming(255, "-")`: a missing name becomes
 *   `<logical name>-<7 hex>`.
 */

const SERVICE = "docker:index/service:Service";
const SECRET = "docker:index/secret:Secret";
const CONFIG = "docker:index/serviceConfig:ServiceConfig";

const SERVICE_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;
const OBJECT_NAME = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;
const MAX_SECRET_BYTES = 500 * 1024;
const CONSTRAINT_KEY = /^[a-z_][a-z0-9\-_.]+$/i;
const CONSTRAINT_VALUE = /^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$/i;
/** Go's time.ParseDuration grammar (units ns, us, µs, ms, s, m, h), or "0". */
const GO_DURATION = /^(?:0|[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+)$/;

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

function list(v: unknown): Obj[] {
    return Array.isArray(v) ? v.map((x) => obj(x) ?? {}) : [];
}

function text(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

/** Go's time.Duration.String() for whole seconds (1m0s, 1h0m0s), written apart from the program's own. */
function goString(total: number): string {
    const [h, m, sec] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
    if (h > 0) {
        return `${h}h${m}m${sec}s`;
    }
    return m > 0 ? `${m}m${sec}s` : `${sec}s`;
}

/** `shortDur` of the provider: Go's String() with a trailing `m0s`, then `h0m`, cut short. */
export function providerShortDur(total: number): string {
    let out = goString(total);
    if (out.endsWith("m0s")) {
        out = out.slice(0, -2);
    }
    if (out.endsWith("h0m")) {
        out = out.slice(0, -2);
    }
    return out;
}

/** Whether the provider reads this duration back as it is (whole seconds only; the program uses no others). */
export function isShortDur(d: string): boolean {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(d);
    if (!m || d === "") {
        return false;
    }
    const total = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
    return providerShortDur(total) === d;
}

/** validateDurationGeq0 plus the read-back rule: anything but the provider's own form diffs on every refresh. */
function checkDuration(bad: (m: string) => void, where: string, v: unknown): void {
    if (v === undefined) {
        return;
    }
    const d = text(v);
    if (!GO_DURATION.test(d) || d.startsWith("-")) {
        bad(`${where}: '${d}' is not a valid duration`);
    } else if (!isShortDur(d)) {
        bad(`${where}: ${d} is read back differently (shortDur), so every refresh would show a change`);
    }
}

function isBase64(v: unknown): v is string {
    return typeof v === "string" && /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v);
}

/** One swarmkit constraint: `key == value` / `key != value`, key and value by swarmkit's patterns. */
export function constraintError(c: string): string | undefined {
    const op = ["==", "!="].find((o) => c.includes(o));
    if (op === undefined) {
        return "constraint expected one operator from ==, !=";
    }
    const [key, value] = [c.slice(0, c.indexOf(op)).trim(), c.slice(c.indexOf(op) + op.length).trim()];
    if (!CONSTRAINT_KEY.test(key)) {
        return `key '${key}' is invalid`;
    }
    return CONSTRAINT_VALUE.test(value) ? undefined : `value '${value}' is invalid`;
}

function checkMounts(bad: (m: string) => void, mounts: Obj[]): void {
    for (const m of mounts) {
        const type = text(m.type);
        if (!/^(bind|volume|tmpfs)$/.test(type)) {
            bad(`mount type must match ^(bind|volume|tmpfs)$, got ${type}`);
        }
        if (typeof m.target !== "string" || !m.target.startsWith("/")) {
            bad(`mount target is required and absolute, got ${text(m.target)}`);
        }
        if (m.volumeOptions !== undefined && type !== "volume") {
            bad(`volumeOptions on a ${type} mount (Docker: VolumeOptions must not be specified on mount type ${type})`);
        }
        if (type === "bind" && !text(m.source ?? "").startsWith("/")) {
            bad(`bind mount source must be an absolute host path, got ${text(m.source)}`);
        }
        for (const [k, v] of Object.entries(obj(obj(m.volumeOptions)?.driverOptions) ?? {})) {
            if (typeof v !== "string") {
                bad(`volumeOptions.driverOptions.${k} must be a string`);
            }
        }
    }
}

function checkFileRefs(bad: (m: string) => void, kind: "secret" | "config", refs: Obj[]): void {
    for (const r of refs) {
        if (typeof r[`${kind}Id`] !== "string" || r[`${kind}Id`] === "") {
            bad(`${kind}s: ${kind}Id is required`);
        }
        if (typeof r.fileName !== "string" || r.fileName === "") {
            bad(`${kind}s: fileName is required`);
        }
        if (r.fileMode !== undefined && (!Number.isInteger(r.fileMode) || Number(r.fileMode) < 0)) {
            bad(`${kind}s: fileMode must be an integer >= 0, got ${text(r.fileMode)}`);
        }
    }
}

function checkContainerSpec(bad: (m: string) => void, cs: Obj | undefined): void {
    if (!cs) {
        bad("taskSpec.containerSpec is required");
        return;
    }
    if (typeof cs.image !== "string" || cs.image === "") {
        bad("taskSpec.containerSpec.image is required");
    }
    for (const [k, v] of Object.entries(obj(cs.env) ?? {})) {
        if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
            bad(`env ${k} must be a name with a string value, got ${text(v)}`);
        }
    }
    checkMounts(bad, list(cs.mounts));
    checkFileRefs(bad, "secret", list(cs.secrets));
    checkFileRefs(bad, "config", list(cs.configs));
    checkDuration(bad, "stopGracePeriod", cs.stopGracePeriod);
    const hc = obj(cs.healthcheck);
    if (hc) {
        for (const k of ["interval", "timeout", "startPeriod"]) {
            checkDuration(bad, `healthcheck.${k}`, hc[k]);
        }
        if (hc.retries !== undefined && Number(hc.retries) < 0) {
            bad("healthcheck.retries cannot be lower than 0");
        }
    }
    for (const l of list(cs.labels)) {
        if (typeof l.label !== "string" || typeof l.value !== "string") {
            bad(`containerSpec labels are {label, value} string pairs, got ${JSON.stringify(l)}`);
        }
    }
}

function checkTaskSpec(bad: (m: string) => void, ts: Obj | undefined): void {
    if (!ts) {
        bad("taskSpec is required");
        return;
    }
    checkContainerSpec(bad, obj(ts.containerSpec));
    for (const n of list(ts.networksAdvanceds)) {
        if (n.name !== undefined) {
            bad("networksAdvanceds by name: the provider replaces the service on every run; use the network id");
        }
        if (typeof n.id !== "string" || n.id === "") {
            bad("networksAdvanceds needs the network id");
        }
    }
    for (const c of (obj(ts.placement)?.constraints as unknown[] | undefined) ?? []) {
        const e = constraintError(text(c));
        if (e) {
            bad(`placement constraint ${text(c)}: ${e}`);
        }
    }
    const rp = obj(ts.restartPolicy);
    if (rp?.condition !== undefined && !/^(none|on-failure|any)$/.test(text(rp.condition))) {
        bad(`restartPolicy.condition must match ^(none|on-failure|any)$, got ${text(rp.condition)}`);
    }
    checkDuration(bad, "restartPolicy.delay", rp?.delay);
    checkDuration(bad, "restartPolicy.window", rp?.window);
    const ld = obj(ts.logDriver);
    if (ld && (typeof ld.name !== "string" || ld.name === "")) {
        bad("logDriver.name is required");
    }
}

/** update_config and rollback_config; note rollback's patterns are unanchored in the provider. */
function checkUpdate(
    bad: (m: string) => void,
    where: string,
    u: Obj | undefined,
    actions: RegExp,
    orders: RegExp,
): void {
    if (!u) {
        return;
    }
    if (u.failureAction !== undefined && !actions.test(text(u.failureAction))) {
        bad(`${where}.failureAction ${text(u.failureAction)} does not match ${actions.source}`);
    }
    if (u.order !== undefined && !orders.test(text(u.order))) {
        bad(`${where}.order ${text(u.order)} does not match ${orders.source}`);
    }
    if (u.parallelism !== undefined && Number(u.parallelism) < 0) {
        bad(`${where}.parallelism cannot be lower than 0`);
    }
    if (u.maxFailureRatio !== undefined && !/^(?:0(?:\.\d+)?|1(?:\.0+)?)$/.test(text(u.maxFailureRatio))) {
        bad(`${where}.maxFailureRatio must be a float ratio between 0 and 1`);
    }
    checkDuration(bad, `${where}.delay`, u.delay);
    checkDuration(bad, `${where}.monitor`, u.monitor);
}

function checkService(bad: (m: string) => void, inputs: Obj): void {
    const name = inputs.name;
    if (typeof name !== "string" || !SERVICE_NAME.test(name) || name.length > 63) {
        bad(`service name ${text(name)} must be valid as a DNS name component, 63 characters or fewer`);
    }
    checkTaskSpec(bad, obj(inputs.taskSpec));
    const mode = obj(inputs.mode);
    if (mode?.global === true && (mode.replicated !== undefined || inputs.convergeConfig !== undefined)) {
        bad("mode.global conflicts with mode.replicated and convergeConfig");
    }
    const replicas = obj(mode?.replicated)?.replicas;
    if (replicas !== undefined && (!Number.isInteger(replicas) || Number(replicas) < 0)) {
        bad(`mode.replicated.replicas must be an integer >= 0, got ${text(replicas)}`);
    }
    checkUpdate(
        bad,
        "updateConfig",
        obj(inputs.updateConfig),
        /^(pause|continue|rollback)$/,
        /^(stop-first|start-first)$/,
    );
    checkUpdate(bad, "rollbackConfig", obj(inputs.rollbackConfig), /(pause|continue)/, /(stop-first|start-first)/);
    const cc = obj(inputs.convergeConfig);
    checkDuration(bad, "convergeConfig.delay", cc?.delay);
    checkDuration(bad, "convergeConfig.timeout", cc?.timeout);
    const ep = obj(inputs.endpointSpec);
    if (ep?.mode !== undefined && !/^(vip|dnsrr)$/.test(text(ep.mode))) {
        bad(`endpointSpec.mode must match ^(vip|dnsrr)$, got ${text(ep.mode)}`);
    }
    for (const p of list(ep?.ports)) {
        // moby/swarmkit manager/controlapi/service.go validateEndpointSpec: the routing mesh balances
        // behind a virtual IP, so dnsrr takes only ports published in host mode (the default is ingress).
        if (ep?.mode === "dnsrr" && (p.publishMode ?? "ingress") === "ingress") {
            bad("EndpointSpec: port published with ingress mode can't be used with dnsrr mode");
        }
        if (!Number.isInteger(p.targetPort)) {
            bad("endpointSpec.ports.targetPort is required");
        }
        if (p.protocol !== undefined && !/^(tcp|udp|sctp)$/.test(text(p.protocol))) {
            bad(`endpointSpec.ports.protocol must match ^(tcp|udp|sctp)$, got ${text(p.protocol)}`);
        }
        if (p.publishMode !== undefined && !/^(host|ingress)$/.test(text(p.publishMode))) {
            bad(`endpointSpec.ports.publishMode must match ^(host|ingress)$, got ${text(p.publishMode)}`);
        }
    }
    for (const l of list(inputs.labels)) {
        if (typeof l.label !== "string" || typeof l.value !== "string") {
            bad(`labels are {label, value} string pairs, got ${JSON.stringify(l)}`);
        }
    }
}

function checkObjectName(bad: (m: string) => void, name: unknown): void {
    if (name !== undefined && (typeof name !== "string" || !OBJECT_NAME.test(name) || name.length > 64)) {
        bad(
            `invalid name ${text(name)}, only 64 [a-zA-Z0-9-_.] characters allowed, starting and ending with [a-zA-Z0-9]`,
        );
    }
}

/** What the real provider (and Swarm behind it) refuses for Swarm services, secrets, configs and overlay networks. */
export function swarmRejections(type: string, inputs: Obj): string[] {
    const errors: string[] = [];
    const bad = (m: string) => errors.push(m);
    if (type === SERVICE) {
        checkService(bad, inputs);
    }
    if (type === SECRET || type === CONFIG) {
        checkObjectName(bad, inputs.name);
        const raw = type === CONFIG ? inputs.dataRaw : undefined;
        if (type === CONFIG && (inputs.data === undefined) === (raw === undefined)) {
            bad("exactly one of data and dataRaw");
        }
        if (inputs.data !== undefined) {
            if (!isBase64(inputs.data)) {
                // The provider's message would print the value; this one does not.
                bad("data is not base64 decodeable");
            } else {
                const size = Buffer.from(inputs.data, "base64").length;
                if (size < 1 || size >= MAX_SECRET_BYTES) {
                    bad(`data must be larger than 0 and less than ${MAX_SECRET_BYTES} bytes`);
                }
            }
        } else if (type === SECRET) {
            bad("data is required");
        }
    }
    return errors;
}

/**
 * Outputs the provider computes for the Swarm resources: a missing name is autonamed as the bridge does
 * (`<logical name>-<7 hex>`). The suffix is random once and then kept in state, so here it is derived
 * from the logical name: the same on every run, as a second `pulumi up` would see it.
 */
export function swarmState(type: string, logicalName: string, inputs: Obj): Obj {
    if (type === SECRET || type === CONFIG) {
        return {
            name: inputs.name ?? `${logicalName}-${createHash("sha256").update(logicalName).digest("hex").slice(0, 7)}`,
        };
    }
    return {};
}
