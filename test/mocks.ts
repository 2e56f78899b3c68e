import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { commandRejections, containerRejections, dockerBuildRejections, previewBuildBlockers } from "./providerRules";
import { swarmRejections, swarmState } from "./swarmMocks";

export { isCanonicalGoDuration } from "./providerRules";

/**
 * Mocks that behave like the real providers where it matters to us: they reject inputs the
 * provider would reject (so a bad model fails here, not on a production host) and return the
 * computed outputs the program reads (job exit codes, image digests, generated passwords).
 */

/** Pulumi marks secret values in mock inputs with this signature key. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretEnvelope(v: unknown): v is { value: unknown } {
    return (
        typeof v === "object" &&
        v !== null &&
        (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE &&
        "value" in (v as Record<string, unknown>)
    );
}

/** Removes secret envelopes, recording the paths that were secret. */
export function unwrapSecrets(v: unknown, path: string, secretPaths: string[]): unknown {
    if (isSecretEnvelope(v)) {
        secretPaths.push(path);
        return unwrapSecrets(v.value, path, []);
    }
    if (Array.isArray(v)) {
        return v.map((x, i) => unwrapSecrets(x, `${path}[${i}]`, secretPaths));
    }
    if (typeof v === "object" && v !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
            out[k] = unwrapSecrets(x, path ? `${path}.${k}` : k, secretPaths);
        }
        return out;
    }
    return v;
}

/** Text of an input for messages and checks; objects show as JSON rather than [object Object]. */
function str(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

function isPort(p: unknown): boolean {
    return typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535;
}

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * The IPAM config the engine reports for a new network, stable per name: a /16 from Docker's default
 * bridge pools (moby daemon default-address-pools 172.17.0.0/16 to 172.31.0.0/16, then 192.168.0.0/20s) or
 * a /24 of Swarm's default pool 10.0.0.0/8 for an overlay.
 */
export function allocatedSubnet(name: string, driver: string): { subnet: string; gateway: string } {
    const n = parseInt(sha256(name).slice(0, 4), 16);
    if (driver === "overlay") {
        const third = 1 + (n % 250);
        return { subnet: `10.0.${third}.0/24`, gateway: `10.0.${third}.1` };
    }
    const second = 18 + (n % 14);
    return { subnet: `172.${second}.0.0/16`, gateway: `172.${second}.0.1` };
}

/** What the real provider would refuse; each message names the resource and the input (rules: providerRules.ts). */
export function providerRejections(type: string, name: string, inputs: Record<string, unknown>): string[] {
    const errors: string[] = [];
    if (type === "docker:index/container:Container") {
        errors.push(...containerRejections(inputs));
    }
    if (type === "docker:index/volume:Volume" || type === "docker:index/network:Network") {
        if (inputs.name !== undefined && !DOCKER_NAME.test(str(inputs.name))) {
            errors.push(`invalid name ${str(inputs.name)}`);
        }
    }
    errors.push(...swarmRejections(type, inputs));
    if (type === "random:index/randomPassword:RandomPassword") {
        if (!isPort(inputs.length)) {
            errors.push("length is required");
        }
    }
    if (type === "command:local:Command") {
        errors.push(...commandRejections(inputs));
    }
    if (type === "docker-build:index:Image") {
        errors.push(...dockerBuildRejections(inputs));
    }
    return errors.map((e) => `${type} ${name}: ${e}`);
}

export interface MockBehaviour {
    /** Exit code of `docker run` per job (Docker name, e.g. frappe-staging-migrate); default 0. */
    readonly exitCodes?: Readonly<Record<string, number>>;
    /** Outputs of the stack's previous deployment, as a StackReference to itself reads them. */
    readonly previousOutputs?: Readonly<Record<string, unknown>>;
    /**
     * Health of containers (Docker name → healthy | unhealthy | starting) when the jobs run; default
     * healthy. The jobs' `docker ps`/`inspect` (test/fakebin/docker) see the containers registered so far.
     */
    readonly health?: Readonly<Record<string, string>>;
    /**
     * Swarm's UpdateStatus of services (Docker names → updating | paused | rollback_completed | ...)
     * when the jobs run; default none (a service that was only created). The jobs' `docker service` and
     * `docker inspect --type task` (test/fakebin/docker) see the services registered so far, each task
     * running its service's spec.
     */
    readonly updateStatus?: Readonly<Record<string, string>>;
    /**
     * Containers (Docker names) whose create times out in `wait`: the provider fails the create with
     * "container failed to be in healthy state" (terraform-provider-docker v4.5.0
     * resource_docker_container_funcs.go:40, 614-621) and nothing that depends on them is created.
     */
    readonly unhealthyAtCreate?: readonly string[];
    /** What a job's container prints (Docker name → output), as `docker run` passes it on. */
    readonly jobOutput?: Readonly<Record<string, string>>;
    /**
     * Containers (or Swarm services) already running on the Docker host before this deploy, as an
     * earlier deploy left them: what the jobs' `docker container inspect` finds until this deploy
     * registers one of the same name (the database guard, the image the backend runs).
     */
    readonly running?: readonly { readonly name: string; readonly image: string; readonly env?: readonly string[] }[];
    /**
     * Jobs return their run token without running their program (the graph benchmark times the
     * program's evaluation, not the job scripts); default false.
     */
    readonly skipJobCommands?: boolean;
}

export interface MockRecord {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    readonly secretPaths: string[];
    readonly state: Record<string, unknown>;
}

const FAKE_DOCKER_DIR = path.join(__dirname, "fakebin");
const PROJECT_ROOT = path.resolve(__dirname, "..");

/**
 * Runs a job's real shell program with a stand-in Docker CLI, as the command provider would run it,
 * and fails the way the provider fails: with the program's stderr.
 */
function runJobCommand(inputs: Record<string, unknown>, behaviour: MockBehaviour, records: MockRecord[]): string {
    const create = String(inputs.create);
    const env = (inputs.environment as Record<string, string> | undefined) ?? {};
    // Jobs name their container in FRAPPE_JOB_NAME; other commands (the adopted-volumes check) in `name='...'`.
    const name = env.FRAPPE_JOB_NAME ?? /^name='([^']+)'$/m.exec(create)?.[1] ?? "";
    // Only a gated job lists containers; the others need no table.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-docker-"));
    const containersFile = path.join(dir, "containers");
    // Only jobs that look at the stack's processes (the health gate, the image the backend runs, the
    // database guard) read the table.
    const looks = ["GATE_ROLES", "FRAPPE_JOB_IMAGE_FROM", "DBGUARD_ENGINE"].some((k) => k in env);
    fs.writeFileSync(containersFile, looks ? containerTable(records, behaviour) : "");
    const servicesFile = path.join(dir, "services");
    fs.writeFileSync(servicesFile, "GATE_ROLES" in env ? serviceTable(records, behaviour.updateStatus ?? {}) : "");
    try {
        // `dir` unset: the provider runs the command in its own working directory, the project root
        // (pulumi-command v1.2.1 provider/pkg/provider/local/commandOutputs.go:73-80), as here.
        const r = spawnSync("/bin/sh", ["-c", create], {
            cwd: PROJECT_ROOT,
            input: typeof inputs.stdin === "string" ? inputs.stdin : "",
            encoding: "utf8",
            env: {
                ...env,
                PATH: `${FAKE_DOCKER_DIR}:${process.env.PATH ?? ""}`,
                FAKE_DOCKER_EXIT: String(behaviour.exitCodes?.[name] ?? 0),
                FAKE_DOCKER_RUN_STDOUT: behaviour.jobOutput?.[name] ?? "",
                FAKE_DOCKER_CONTAINERS: containersFile,
                FAKE_DOCKER_SERVICES: servicesFile,
                GATE_POLL: "0",
                GATE_TIMEOUT: "0",
            },
        });
        if (r.status !== 0) {
            throw new Error(`exit status ${String(r.status)}: ${r.stderr}`);
        }
        return r.stdout;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** What run-job.sh prints last for a job that succeeded (test/fakebin/docker's container ID). */
function skippedJobOutput(inputs: Record<string, unknown>): string {
    const env = (inputs.environment as Record<string, string> | undefined) ?? {};
    return env.FRAPPE_JOB_NAME === undefined ? "" : `frappe-job-run: c0ffee${env.FRAPPE_JOB_NAME}\n`;
}

/** A resource's `labels` input (label/value pairs) as a map. */
function labelMap(labels: unknown): Record<string, string> {
    return Object.fromEntries(
        ((labels as { label: string; value: string }[] | undefined) ?? []).map((l) => [l.label, l.value]),
    );
}

/** The Swarm services registered so far: name stack role replicas update-state image. */
function serviceTable(records: MockRecord[], updates: Readonly<Record<string, string>>): string {
    return records
        .filter((r) => r.type === "docker:index/service:Service")
        .map((r) => {
            const labels = labelMap(r.inputs.labels);
            const name = str(r.inputs.name);
            const mode = r.inputs.mode as { replicated?: { replicas?: number } } | undefined;
            const image = str((r.inputs.taskSpec as { containerSpec?: { image?: string } }).containerSpec?.image);
            const row = [name, labels["frappe.stack"], labels["frappe.role"], mode?.replicated?.replicas ?? 1];
            return `${[...row, updates[name] ?? "-", image].join(" ")}\n`;
        })
        .join("");
}

/** The containers registered so far as `docker ps` would show them: name stack role status health. */
function containerTable(records: MockRecord[], behaviour: MockBehaviour): string {
    const health = behaviour.health ?? {};
    // This deploy's containers and services first: the fake CLI answers with the first line of a name.
    const registered = records
        .filter((r) => r.type === "docker:index/container:Container" || r.type === "docker:index/service:Service")
        .map((r) => {
            const container = r.type === "docker:index/container:Container";
            const labels = labelMap(r.inputs.labels);
            const name = str(container ? r.state.name : r.inputs.name);
            const stack = labels["frappe.stack"] ?? "-";
            const role = labels["frappe.role"] ?? "-";
            const spec = (r.inputs.taskSpec as { containerSpec?: { image?: unknown } } | undefined)?.containerSpec;
            const image = str(container ? r.inputs.image : spec?.image);
            return `${name} ${stack} ${role} running ${health[name] ?? "healthy"} ${image} -\n`;
        });
    const before = (behaviour.running ?? []).map(
        (c) =>
            `${c.name} - - running healthy ${c.image} ${c.env === undefined || c.env.length === 0 ? "-" : c.env.join(",")}\n`,
    );
    return [...registered, ...before].join("");
}

function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

export function createMocks(
    behaviour: MockBehaviour,
    records: MockRecord[],
    rejections: string[],
): pulumi.runtime.Mocks {
    return {
        newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
            const secretPaths: string[] = [];
            const inputs = unwrapSecrets(args.inputs, "", secretPaths) as Record<string, unknown>;
            const errors = providerRejections(args.type, args.name, inputs);
            if (args.type === "docker-build:index:Image") {
                // Not a provider error but our promise (docs/images.md): a PR preview really builds.
                for (const b of previewBuildBlockers(inputs)) {
                    errors.push(`${args.type} ${args.name}: pulumi preview would skip the build: ${b}`);
                }
            }
            if (errors.length > 0) {
                rejections.push(...errors);
                throw new Error(errors.join("\n"));
            }
            const state: Record<string, unknown> = { ...(args.inputs as Record<string, unknown>) };
            const id = `${args.name}-id`;
            switch (args.type) {
                case "docker:index/container:Container":
                    if (inputs.wait === true && (behaviour.unhealthyAtCreate ?? []).includes(str(inputs.name))) {
                        throw new Error(`${args.name}: container failed to be in healthy state`);
                    }
                    state.name = inputs.name ?? `${args.name}-1a2b3c4`;
                    break;
                case "docker:index/volume:Volume":
                    state.name = inputs.name ?? `${args.name}-5d6e7f8`;
                    state.mountpoint = `/var/lib/docker/volumes/${str(state.name)}/_data`;
                    break;
                case "docker:index/network:Network":
                    state.name = inputs.name ?? `${args.name}-9a8b7c6`;
                    // What the provider's Read stores from the engine (ipam_config is Optional+Computed):
                    // the subnet the engine allocated, per network (a bridge from the default pools, an
                    // overlay from Swarm's 10.0.0.0/8).
                    state.ipamConfigs = inputs.ipamConfigs ?? [allocatedSubnet(str(state.name), str(inputs.driver))];
                    break;
                case "random:index/randomPassword:RandomPassword":
                    state.result = sha256(args.name).slice(0, Number(inputs.length));
                    break;
                case "command:local:Command":
                    state.stdout =
                        behaviour.skipJobCommands === true
                            ? skippedJobOutput(inputs)
                            : runJobCommand(inputs, behaviour, records);
                    state.stderr = "";
                    break;
                case "pulumi:pulumi:StackReference":
                    state.outputs = behaviour.previousOutputs ?? {};
                    state.secretOutputNames = [];
                    break;
                case "docker-build:index:Image": {
                    const digest = `sha256:${sha256(JSON.stringify(inputs.tags ?? []) + JSON.stringify(inputs.buildArgs ?? {}))}`;
                    state.digest = digest;
                    const tags = (inputs.tags as string[] | undefined) ?? [];
                    state.ref = tags.length > 0 ? `${tags[0]}@${digest}` : digest;
                    break;
                }
                default:
                    Object.assign(state, swarmState(args.type, args.name, inputs));
                    break;
            }
            records.push({ type: args.type, name: args.name, inputs, secretPaths, state });
            return { id, state };
        },
        call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
            throw new Error(`unexpected provider call ${args.token}: the program should not need any`);
        },
    };
}
