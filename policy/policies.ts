/**
 * The guardrails of the Frappe stacks, as pure policy objects. Nothing here starts the policy
 * server: `new PolicyPack(...)` binds a gRPC port and reads package.json as soon as it is
 * constructed, so only `index.ts` does that and the tests import this module instead.
 *
 * A value that is unknown during preview must not be caught here: the policy SDK recognises the
 * error thrown when such a value is read and reports "can't run during preview" instead of a
 * wrong verdict. Hence no try/catch around property reads.
 */
import type {
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { type ContainerRole, DATASTORE_ROLES, ROLE_LABEL, STACK_LABEL } from "../components/conventions/naming";
import { DIGEST_PATTERN } from "../components/conventions/image";
import { isMovingRef } from "../components/conventions/tags";

export const CONTAINER = "docker:index/container:Container";
export const VOLUME = "docker:index/volume:Volume";
export const SERVICE = "docker:index/service:Service";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const REGISTRY_IMAGE = "docker:index/registryImage:RegistryImage";
export const DOCKER_IMAGE = "docker:index/image:Image";
export const BUILD_IMAGE = "docker-build:index:Image";
export const LOCAL_COMMAND = "command:local:Command";

export { DATASTORE_ROLES };

/**
 * Roles that run upstream images (MariaDB, Redis, Traefik) rather than the Frappe image staging built.
 * By default production may run these by a fixed release tag (the program's defaults are tags such as
 * mariadb:11.8), while the Frappe image must carry the digest staging verified. Policy config
 * `tagPinnedRoles: []` demands digests for these too.
 */
export const UPSTREAM_IMAGE_ROLES: readonly ContainerRole[] = ["db", "redis-cache", "redis-queue", "proxy"];

export const SECRET_KEY_PATTERN = /PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY/i;
/** `X_FILE=/run/secrets/x` is the convention (mariadb, postgres, our entrypoints) for "read it from this file". */
const FILE_REFERENCE_SUFFIX = /_FILE$/i;

// ---------------------------------------------------------------------------------------------
// Reading resource inputs. Props arrive as untyped JSON; narrow them instead of trusting shapes.

type Props = Readonly<Record<string, unknown>>;

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function records(v: unknown): Record<string, unknown>[] {
    return Array.isArray(v) ? v.filter(isRecord) : [];
}

function strings(v: unknown): string[] {
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

/** Container labels: `@pulumi/docker` takes a set of `{label, value}` pairs, not a map. */
export function labelsOf(props: Props): Map<string, string> {
    const labels = new Map<string, string>();
    for (const l of records(props.labels)) {
        const key = str(l.label);
        if (key !== undefined) {
            labels.set(key, str(l.value) ?? "");
        }
    }
    return labels;
}

export function roleOf(props: Props): string | undefined {
    return labelsOf(props).get(ROLE_LABEL);
}

/**
 * What a container or a Swarm service runs, read the same way for both, so every rule holds on one Docker
 * host and on Swarm. Service inputs as pulumi-docker v5 bridges them from kreuzwerker/terraform-provider-docker
 * v4.5.0 (resource_docker_service.go): `labels` of the service and `taskSpec.containerSpec.labels` of its
 * containers, `containerSpec.env` as a map, `containerSpec.mounts` (`type` bind/volume, `source`),
 * `endpointSpec.ports`, `taskSpec.restartPolicy.condition` (none, on-failure, any; Swarm's default is any).
 */
export interface Workload {
    readonly kind: "container" | "service";
    /** Labels of the container, or of the service and its containers together. */
    readonly labels: Map<string, string>;
    readonly image?: string;
    readonly env: readonly (readonly [string, string])[];
    /** Undefined: no healthcheck given (the image's own applies). */
    readonly healthTests?: readonly string[];
    /** Container restart policy, or the service's restart condition; undefined: the default. */
    readonly restart?: string;
    readonly ports: readonly string[];
    readonly hostMounts: readonly HostMount[];
}

export interface HostMount {
    readonly source: string;
    readonly readOnly: boolean;
    readonly via: "volumes" | "mounts" | "volume options";
}

function envEntries(v: unknown): [string, string][] {
    if (isRecord(v)) {
        return Object.entries(v).map(([k, x]) => [k, str(x) ?? ""]);
    }
    return strings(v).map((entry) => {
        const eq = entry.indexOf("=");
        return eq >= 0 ? [entry.slice(0, eq), entry.slice(eq + 1)] : [entry, ""];
    });
}

function containerWorkload(props: Props): Workload {
    const healthcheck = isRecord(props.healthcheck) ? props.healthcheck : undefined;
    return {
        kind: "container",
        labels: labelsOf(props),
        image: str(props.image),
        env: envEntries(props.envs),
        healthTests: healthcheck === undefined ? undefined : strings(healthcheck.tests),
        restart: str(props.restart),
        ports: records(props.ports).map((p) => describePort(p.ip, p.external, p.internal, p.protocol)),
        hostMounts: hostMounts(props.volumes, props.mounts),
    };
}

function serviceWorkload(props: Props): Workload {
    const task = isRecord(props.taskSpec) ? props.taskSpec : {};
    const spec = isRecord(task.containerSpec) ? task.containerSpec : {};
    const healthcheck = isRecord(spec.healthcheck) ? spec.healthcheck : undefined;
    const restart = isRecord(task.restartPolicy) ? str(task.restartPolicy.condition) : undefined;
    const endpoint = isRecord(props.endpointSpec) ? props.endpointSpec : {};
    const labels = labelsOf(props);
    for (const [k, v] of labelsOf(spec)) {
        labels.set(k, v);
    }
    return {
        kind: "service",
        labels,
        image: str(spec.image),
        env: envEntries(spec.env),
        healthTests: healthcheck === undefined ? undefined : strings(healthcheck.tests),
        restart,
        ports: records(endpoint.ports).map((p) => describePort(undefined, p.publishedPort, p.targetPort, p.protocol)),
        hostMounts: hostMounts(undefined, spec.mounts),
    };
}

/** The workload a container or a service describes; undefined for every other resource type. */
export function workloadOf(args: { readonly type: string; readonly props: Props }): Workload | undefined {
    if (args.type === CONTAINER) {
        return containerWorkload(args.props);
    }
    return args.type === SERVICE ? serviceWorkload(args.props) : undefined;
}

/** `container "erp-backend" (Docker name "frappe-production-backend", role backend)`, or `service "..."`. */
function describe(kind: string, args: ResourceValidationArgs, workload?: Workload): string {
    const props: Props = args.props;
    const details: string[] = [];
    const dockerName = str(props.name);
    if (dockerName !== undefined && dockerName !== args.name) {
        details.push(`Docker name "${dockerName}"`);
    }
    const role = workload?.labels.get(ROLE_LABEL);
    if (role !== undefined) {
        details.push(`role ${role}`);
    }
    return details.length > 0 ? `${kind} "${args.name}" (${details.join(", ")})` : `${kind} "${args.name}"`;
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → `<stack>`. */
export function stackOfUrn(urn: string): string | undefined {
    const m = /^urn:pulumi:([^:]+)::/.exec(urn);
    return m ? m[1] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Image references: `repo[:tag][@sha256:<64 hex>]`, where repo may start with `host:port/`.

export interface ImageRef {
    readonly repository: string;
    /** Undefined when the reference names no tag (Docker then pulls `latest` unless a digest pins it). */
    readonly tag?: string;
    /** The text after `@`, valid or not; see `pinned`. */
    readonly digest?: string;
    /** True when the content is fixed: a well-formed sha256 digest, or a bare image ID. */
    readonly pinned: boolean;
}

export function parseImageRef(ref: string): ImageRef {
    const text = ref.trim();
    // A bare image ID (what RemoteImage.imageId yields) is content-addressed: pinned, no tag.
    if (DIGEST_PATTERN.test(text) || /^[a-f0-9]{64}$/.test(text)) {
        return { repository: "", digest: text, pinned: true };
    }
    const at = text.indexOf("@");
    const name = at >= 0 ? text.slice(0, at) : text;
    const digest = at >= 0 ? text.slice(at + 1) : undefined;
    const colon = name.lastIndexOf(":");
    const hasTag = colon > name.lastIndexOf("/");
    return {
        repository: hasTag ? name.slice(0, colon) : name,
        tag: hasTag ? name.slice(colon + 1) : undefined,
        digest,
        pinned: digest !== undefined && DIGEST_PATTERN.test(digest),
    };
}

/** Why a reference does not fix what runs, or undefined when it is fine. */
export function movingTagProblem(ref: ImageRef): string | undefined {
    if (ref.tag !== undefined && isMovingRef(ref.tag)) {
        return `moving tag "${ref.tag}"`;
    }
    if (ref.tag === undefined && !ref.pinned) {
        return 'no tag (Docker reads that as "latest")';
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------
// 1. Production images pinned by digest.

export interface ProductionConfig {
    /** Stack names (label `frappe.stack` or the stack in the URN) that get production rules. */
    productionStacks?: string[];
    /** Apply production rules to every resource of the run, whatever its labels say. */
    treatAsProduction?: boolean;
    /** Container roles whose image may be pinned by a fixed tag instead of a digest. */
    tagPinnedRoles?: string[];
}

const productionConfigSchema: PolicyConfigSchema = {
    properties: {
        productionStacks: {
            type: "array",
            items: { type: "string" },
            default: ["production"],
            description: "Stack names treated as production (matched against the frappe.stack label and the URN).",
        },
        treatAsProduction: {
            type: "boolean",
            default: false,
            description: "Treat every resource as production, e.g. for a production stack with another name.",
        },
        tagPinnedRoles: {
            type: "array",
            items: { type: "string" },
            default: [...UPSTREAM_IMAGE_ROLES],
            description:
                "Container roles (frappe.role label) that may run a fixed release tag without a digest; [] requires digests everywhere.",
        },
    },
};

function tagPinnedRoles(config: ProductionConfig): ReadonlySet<string> {
    return new Set(Array.isArray(config.tagPinnedRoles) ? strings(config.tagPinnedRoles) : UPSTREAM_IMAGE_ROLES);
}

/**
 * Production if the run says so, the container's `frappe.stack` label says so, or the stack in its
 * URN does. Any one is enough: a container mislabelled "staging" inside the production stack is
 * still production.
 */
export function isProduction(args: ResourceValidationArgs): boolean {
    const config = args.getConfig<ProductionConfig>();
    if (config.treatAsProduction === true) {
        return true;
    }
    const names = new Set(
        strings(config.productionStacks).length > 0 ? strings(config.productionStacks) : ["production"],
    );
    const label = workloadOf(args)?.labels.get(STACK_LABEL);
    const urnStack = stackOfUrn(args.urn);
    return (label !== undefined && names.has(label)) || (urnStack !== undefined && names.has(urnStack));
}

interface ImageUse {
    readonly ref: string;
    /** Whether the resource runs the image (then it must be pinned), or only names it. */
    readonly runs: boolean;
}

function imageUses(args: ResourceValidationArgs): ImageUse[] {
    const props: Props = args.props;
    const one = (v: unknown, runs: boolean): ImageUse[] => {
        const ref = str(v);
        return ref === undefined ? [] : [{ ref, runs }];
    };
    switch (args.type) {
        case CONTAINER:
        case SERVICE:
            return one(workloadOf(args)?.image, true);
        case REMOTE_IMAGE:
        case REGISTRY_IMAGE:
            return one(props.name, false);
        case DOCKER_IMAGE:
            return one(props.imageName, false);
        case BUILD_IMAGE:
            return strings(props.tags).map((ref) => ({ ref, runs: false }));
        default:
            return [];
    }
}

/** The config key that sets a role's image, for the advice in messages. */
const IMAGE_KEY_OF_ROLE: Readonly<Record<string, string>> = {
    db: "frappe:db.image",
    "redis-cache": "frappe:redis.image",
    "redis-queue": "frappe:redis.image",
    proxy: "frappe:proxy.image",
};

/** The role whose image a tag may pin in production under this run's config, or undefined. */
function tagPinnedRole(args: ResourceValidationArgs): string | undefined {
    const role = workloadOf(args)?.labels.get(ROLE_LABEL);
    return role !== undefined && tagPinnedRoles(args.getConfig<ProductionConfig>()).has(role) ? role : undefined;
}

function kindOf(args: ResourceValidationArgs): string {
    return workloadOf(args)?.kind ?? args.type.split(":").pop() ?? args.type;
}

export const productionImagesPinned: ResourceValidationPolicy = {
    name: "production-images-pinned-by-digest",
    description:
        "In production every container and Swarm service runs an image pinned by digest (repo:tag@sha256:...); " +
        "upstream images (db, redis, proxy roles) may instead use a release tag, which " +
        "production-upstream-images-by-tag reports with the reason. No image reference uses a moving tag such " +
        "as latest, version-15 or main.",
    enforcementLevel: "mandatory",
    configSchema: productionConfigSchema,
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
        const uses = imageUses(args);
        if (uses.length === 0 || !isProduction(args)) {
            return;
        }
        const what = describe(kindOf(args), args, workloadOf(args));
        const tagIsEnough = tagPinnedRole(args) !== undefined;
        for (const use of uses) {
            const ref = parseImageRef(use.ref);
            const moving = movingTagProblem(ref);
            if (moving !== undefined) {
                report(
                    `${what} uses image "${use.ref}" with ${moving}. Production must name a fixed release ` +
                        `(e.g. v15.88.1) so the deployment can be reproduced and rolled back.`,
                );
            }
            // A malformed digest is an error even where a tag would do: Docker refuses the reference.
            if (use.runs && !ref.pinned && (ref.digest !== undefined || !tagIsEnough)) {
                const why =
                    ref.digest === undefined
                        ? "without a digest"
                        : `with a malformed digest "${ref.digest}" (expected sha256: and 64 lowercase hex digits)`;
                report(
                    `${what} runs image "${use.ref}" ${why}. Production must pin repo:tag@sha256:<digest> ` +
                        `(promote the digest staging verified) so a re-pushed tag cannot change what runs.`,
                );
            }
        }
    },
};

/**
 * Why an upstream image may run by tag in production, said at every preview and update: the default
 * images are release lines of their projects (mariadb:11.8, postgres:15.17, redis:8.6-alpine,
 * traefik:v3.6), not images staging built, so `npm run promote` has no digest for them; a tag keeps
 * upstream patch releases and rebuilds coming without a promotion, and the price is that production can
 * run other bytes than staging ran. Advisory: it never blocks a deployment; `tagPinnedRoles: []` makes the
 * mandatory policy demand the digest instead.
 */
export const upstreamImagesByTag: ResourceValidationPolicy = {
    name: "production-upstream-images-by-tag",
    description:
        "Reports each production container or service whose upstream image (db, redis, proxy roles) runs by " +
        "tag without a digest: why that is allowed, what it costs, and how to pin it.",
    enforcementLevel: "advisory",
    configSchema: productionConfigSchema,
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
        const role = tagPinnedRole(args);
        const image = workloadOf(args)?.image;
        if (role === undefined || image === undefined || !isProduction(args)) {
            return;
        }
        const ref = parseImageRef(image);
        if (ref.pinned || ref.digest !== undefined || movingTagProblem(ref) !== undefined) {
            return;
        }
        const upgrade =
            role === "db"
                ? " A new MariaDB patch release also upgrades the data directory at start (MARIADB_AUTO_UPGRADE)."
                : "";
        report(
            `${describe(kindOf(args), args, workloadOf(args))} runs "${image}" by tag: allowed because ${role} is in ` +
                `tagPinnedRoles (an upstream release line, not an image staging built, so promote has no digest ` +
                `for it). The tag follows upstream patch releases and rebuilds, so production may run other bytes ` +
                `than staging verified.${upgrade} To pin it, set ${IMAGE_KEY_OF_ROLE[role] ?? "its image"} to ` +
                `"${ref.repository}:${ref.tag ?? "<tag>"}@sha256:<digest>" in both stack files ` +
                `(docker buildx imagetools inspect ${ref.repository}:${ref.tag ?? "<tag>"} prints the digest), or ` +
                `require it with tagPinnedRoles: [].`,
        );
    },
};

// ---------------------------------------------------------------------------------------------
// 2. Data volumes protected.

export const volumesProtected: ResourceValidationPolicy = {
    name: "data-volumes-protected",
    description:
        "Every Docker volume is created with the protect option, so a replacement (every volume input " +
        "forces one) or a destroy fails instead of deleting database, sites or backup data.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
        if (args.type !== VOLUME || args.opts.protect === true) {
            return;
        }
        report(
            `${describe("volume", args)} is not protected. Set the resource option protect: true; ` +
                `unprotect deliberately (pulumi state unprotect) when a volume really must go.`,
        );
    },
};

// ---------------------------------------------------------------------------------------------
// 3. Long-running containers and services have a healthcheck and a restart policy.

export const servicesSupervised: ResourceValidationPolicy = {
    name: "long-running-containers-healthchecked-and-restarted",
    description:
        "Every container and Swarm service has a healthcheck and restarts (restart other than 'no', restart " +
        "condition other than 'none'); run-once jobs are command:local:Command resources, not containers.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
        const w = workloadOf(args);
        if (w === undefined) {
            return;
        }
        const what = describe(w.kind, args, w);
        const tests = w.healthTests ?? [];
        if (tests.length === 0 || tests[0].toUpperCase() === "NONE") {
            report(
                `${what} has no healthcheck (healthcheck.tests is empty or NONE). Without one Docker ` +
                    `reports a hung process as running and dependants cannot wait for it to be ready.`,
            );
        }
        if (w.kind === "container" && (w.restart ?? "no") === "no") {
            report(
                `${what} has restart policy "no" (the provider's default). Set restart to unless-stopped, ` +
                    `always or on-failure so a crash or a host reboot does not leave it down.`,
            );
        }
        if (w.kind === "service" && w.restart === "none") {
            report(
                `${what} has restart condition "none": Swarm would not replace a failed task. Use any or on-failure.`,
            );
        }
    },
};

// ---------------------------------------------------------------------------------------------
// 4. Data stores publish no host ports; no container or service sees the Docker socket.

const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];

function normalisePath(p: string): string {
    const collapsed = p.replace(/\/+/g, "/");
    return collapsed.length > 1 ? collapsed.replace(/\/$/, "") : collapsed;
}

/** The socket itself, or a directory that contains it (mounting /var/run exposes the socket too). */
export function exposesDockerSocket(hostPath: string): boolean {
    const p = normalisePath(hostPath);
    return DOCKER_SOCKETS.some((s) => s === p || s.startsWith(p === "/" ? "/" : `${p}/`));
}

/**
 * Host paths a workload mounts: binds (`volumes[].hostPath`; `mounts[]` of type bind, or without a type on a
 * container), and named volumes whose local-driver options bind a host directory (`type=none,o=bind,
 * device=<path>`: the local driver mounts that path, moby volume/local).
 */
function hostMounts(volumes: unknown, mounts: unknown): HostMount[] {
    const fromVolumes = records(volumes).flatMap((v): HostMount[] => {
        const source = str(v.hostPath);
        return source === undefined ? [] : [{ source, readOnly: v.readOnly === true, via: "volumes" }];
    });
    const fromMounts = records(mounts).flatMap((m): HostMount[] => {
        const type = str(m.type);
        const source = str(m.source);
        const readOnly = m.readOnly === true;
        if (source !== undefined && (type === undefined || type === "bind")) {
            return [{ source, readOnly, via: "mounts" }];
        }
        const options =
            isRecord(m.volumeOptions) && isRecord(m.volumeOptions.driverOptions) ? m.volumeOptions.driverOptions : {};
        const device = str(options.device);
        const binds = /(^|,)bind(,|$)/.test(str(options.o) ?? "");
        return device !== undefined && binds ? [{ source: device, readOnly, via: "volume options" }] : [];
    });
    return [...fromVolumes, ...fromMounts];
}

function describePort(ip: unknown, external: unknown, internal: unknown, protocol: unknown): string {
    const inside = typeof internal === "number" ? String(internal) : "?";
    const outside = typeof external === "number" ? String(external) : "random";
    const address = str(ip);
    return `${address !== undefined ? `${address}:` : ""}${outside}->${inside}/${str(protocol) ?? "tcp"}`;
}

export const internalsNotExposed: ResourceValidationPolicy = {
    name: "datastores-private-no-docker-socket",
    description:
        "The database and Redis containers and services publish no host ports, and no container or service " +
        "mounts the Docker socket (read-only or not: the API behind it is root on the host).",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
        const w = workloadOf(args);
        if (w === undefined) {
            return;
        }
        const what = describe(w.kind, args, w);
        const role = w.labels.get(ROLE_LABEL);
        if (role !== undefined && (DATASTORE_ROLES as readonly string[]).includes(role) && w.ports.length > 0) {
            report(
                `${what} publishes host ports ${w.ports.join(", ")}. Data stores are reached over the ` +
                    `stack's data network only; remove ports (use docker exec or an SSH tunnel for maintenance).`,
            );
        }
        for (const m of w.hostMounts.filter((x) => exposesDockerSocket(x.source))) {
            report(
                `${what} mounts the Docker socket (${m.via}: "${m.source}"${m.readOnly ? ", read-only" : ""}). ` +
                    `Nothing here needs it, the proxy included (its routes are a file): whoever controls a ` +
                    `process that holds it controls the host, and read-only does not make the API read-only.`,
            );
        }
    },
};

// ---------------------------------------------------------------------------------------------
// 5. No plaintext secrets in env or labels.

/** True when `key` looks like it names a secret and is not a `*_FILE` pointer to one. */
export function isSecretKey(key: string): boolean {
    return SECRET_KEY_PATTERN.test(key) && !FILE_REFERENCE_SUFFIX.test(key);
}

/**
 * `docker run --env K=V` / `--label K=V` in a job command, quoted or not, or in its environment with
 * one argument per line (FRAPPE_JOB_RUN_ARGS, which run-job.sh hands to docker run).
 */
const DOCKER_RUN_ASSIGNMENT = /(?:--env|-e|--label|-l)[\s=]'?([A-Za-z_][A-Za-z0-9_.-]*)=([^'\s]*)/g;

/**
 * Jobs run as `docker run` from a command resource: the same rule for the env and labels it gives the
 * container, and for the command's own environment (stored in state, shown in previews).
 */
function checkJobCommand(args: ResourceValidationArgs, report: ReportViolation): void {
    const props: Props = args.props;
    const what = describe("job command", args);
    const advice = "Pass secrets on stdin (a Pulumi secret) and write them to a file inside the container.";
    const environment = isRecord(props.environment) ? props.environment : {};
    const texts = [str(props.create) ?? "", ...Object.values(environment).filter((v) => typeof v === "string")];
    for (const m of texts.join("\n").matchAll(DOCKER_RUN_ASSIGNMENT)) {
        if (m[2] !== "" && isSecretKey(m[1])) {
            report(`${what} runs a container with ${m[1]} set to a plaintext value. ${advice}`);
        }
    }
    for (const [key, value] of Object.entries(environment)) {
        if (typeof value === "string" && value !== "" && isSecretKey(key)) {
            report(`${what} has ${key} in its environment as a plaintext value. ${advice}`);
        }
    }
}

export const noPlaintextSecrets: ResourceValidationPolicy = {
    name: "no-plaintext-secrets-in-env-or-labels",
    description:
        "No env entry or label whose name looks secret (PASSWORD, SECRET, TOKEN, API_KEY, ...) carries a " +
        "value, in containers, Swarm services or the docker run of a job; secrets are files (*_FILE variables).",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
        if (args.type === LOCAL_COMMAND) {
            checkJobCommand(args, report);
            return;
        }
        const w = workloadOf(args);
        if (w === undefined) {
            return;
        }
        const what = describe(w.kind, args, w);
        const advice =
            "Anyone who can run docker inspect (or read the Pulumi state) sees it; upload the secret as a " +
            "file and pass its path in a *_FILE variable instead.";
        for (const [key, value] of w.env) {
            if (value !== "" && isSecretKey(key)) {
                report(`${what} sets env ${key} to a plaintext value. ${advice}`);
            }
        }
        for (const [key, value] of w.labels) {
            if (value !== "" && isSecretKey(key)) {
                report(`${what} has label ${key} with a plaintext value. ${advice}`);
            }
        }
    },
};

// ---------------------------------------------------------------------------------------------
// 6. The proxy apart from the data stores.

/**
 * The internet-facing proxy shares no Docker network with the database or Redis: a proxy taken over reaches
 * only the entry (nginx), never MariaDB's `root@%` or a Redis without a password. A stack rule: it compares
 * the networks of every proxy with those of every data store of the same stack (label `frappe.stack`).
 * During preview a network not created yet has no ID, and the rule reports that it cannot run.
 */
export const proxyApartFromDatastores: StackValidationPolicy = {
    name: "proxy-apart-from-datastores",
    description:
        "The proxy (the only process that faces the internet) shares no Docker network with the database or Redis.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
        // Only labels and networks are read: an image still being built (unknown during preview) stops nothing.
        const workloads = args.resources.flatMap((r) => {
            const w = membershipOf(r);
            return w === undefined ? [] : [{ name: r.name, w }];
        });
        const datastores = workloads.filter(({ w }) =>
            (DATASTORE_ROLES as readonly string[]).includes(w.labels.get(ROLE_LABEL) ?? ""),
        );
        for (const proxy of workloads.filter(({ w }) => w.labels.get(ROLE_LABEL) === "proxy")) {
            const stack = proxy.w.labels.get(STACK_LABEL);
            for (const store of datastores.filter(({ w }) => w.labels.get(STACK_LABEL) === stack)) {
                const shared = proxy.w.networks.filter((n) => store.w.networks.includes(n));
                if (shared.length > 0) {
                    report(
                        `${proxy.w.kind} "${proxy.name}" (role proxy) shares network ${shared.join(", ")} with ` +
                            `${store.w.kind} "${store.name}" (role ${store.w.labels.get(ROLE_LABEL)}). The proxy faces ` +
                            "the internet; put it on a network of its own with the entry (nginx) and keep the " +
                            "database and Redis on an internal network it does not join.",
                    );
                }
            }
        }
    },
};

export const stackPolicies: StackValidationPolicy[] = [proxyApartFromDatastores];

interface Membership {
    readonly kind: Workload["kind"];
    readonly labels: Map<string, string>;
    readonly networks: readonly string[];
}

/**
 * A container's or a service's labels and the networks it joins, as it names them: a container's
 * `networksAdvanced[].name` (a network's name or id), a service's `taskSpec.networksAdvanceds[].id` (or the
 * deprecated name).
 */
function membershipOf(r: { readonly type: string; readonly props: Props }): Membership | undefined {
    if (r.type === CONTAINER) {
        const networks = records(r.props.networksAdvanced).flatMap((n) => str(n.name) ?? []);
        return { kind: "container", labels: labelsOf(r.props), networks };
    }
    if (r.type !== SERVICE) {
        return undefined;
    }
    const task = isRecord(r.props.taskSpec) ? r.props.taskSpec : {};
    const labels = labelsOf(r.props);
    for (const [k, v] of labelsOf(isRecord(task.containerSpec) ? task.containerSpec : {})) {
        labels.set(k, v);
    }
    const networks = records(task.networksAdvanceds).flatMap((n) => str(n.id) ?? str(n.name) ?? []);
    return { kind: "service", labels, networks };
}

export const policies: ResourceValidationPolicy[] = [
    productionImagesPinned,
    upstreamImagesByTag,
    volumesProtected,
    servicesSupervised,
    internalsNotExposed,
    noPlaintextSecrets,
];
