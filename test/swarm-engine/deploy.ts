import { randomBytes } from "crypto";
import { isDeepStrictEqual } from "util";
import { runToken } from "../../components/jobs/jobRun";
import { JobResult, runInvocation } from "../engine/jobInvocation";
import { CapturedResource, ProgramRun } from "../harness";
import { Engine } from "./engineApi";
import { allocatedSubnet, createConfig, createNetwork, createSecret, createVolume, removeObject } from "./provider";
import { serviceCreate, serviceUpdate } from "./service";

/**
 * `pulumi up` of a whole program run (test/harness.ts runProgram, under the mocks) against a real
 * swarm, the way Pulumi's engine and the providers would do it:
 * - every custom resource the program registered becomes a step; a step starts once the resources it
 *   depends on (dependsOn, and every resource whose output its inputs use) have finished, steps run in
 *   parallel, and after the first failure no new step starts while those in flight finish (Pulumi's
 *   step executor; the deploy then fails);
 * - the values the mocks returned (IDs, autonamed names, the jobs' run tokens) are replaced by the real
 *   ones of this cluster before a resource's inputs are used;
 * - against the previous `up` of the same stack: unchanged inputs are no step; a changed service is an
 *   update (resource_docker_service_funcs.go); a changed secret or config is replaced, create before
 *   delete (every input is ForceNew), with a new autoname (pulumi-terraform-bridge autonaming: the
 *   logical name, a dash and 7 random hex digits) and the old one deleted once the deploy succeeded;
 *   a command whose inputs changed runs its `create` again (pulumi-command v1.2.1: without `update`,
 *   create runs on update; `triggers` replace it), as /bin/sh -c <create> in the project directory
 *   with the provider's environment plus `environment` and `stdin`
 *   (provider/pkg/provider/local/commandOutputs.go, `run`).
 * Networks and volumes are created once; a change to them (a replacement Pulumi would refuse for the
 * protected volumes) is refused here.
 */

type Obj = Record<string, unknown>;

const SERVICE = "docker:index/service:Service";
const SECRET = "docker:index/secret:Secret";
const CONFIG = "docker:index/serviceConfig:ServiceConfig";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const COMMAND = "command:local:Command";
/** Registered by the program but nothing to apply: a read of this stack's last outputs. */
const READS = new Set(["pulumi:pulumi:StackReference"]);

/** A resource as this cluster has it. */
interface Deployed {
    readonly type: string;
    readonly name: string;
    /** The inputs it was created or last updated with (real values). */
    readonly inputs: Obj;
    readonly id: string;
    /** Secrets and configs: the autoname. */
    readonly realName?: string;
    /** Commands: the run token of their last run. */
    readonly token?: string;
    /** Networks: the subnet the engine allocated (what the provider's Read stores as ipam_config). */
    readonly subnet?: string;
}

export type StepOp = "create" | "update" | "replace" | "run";

export interface StepEvent {
    readonly name: string;
    readonly type: string;
    readonly op: StepOp;
    readonly startedAt: number;
    readonly endedAt: number;
    readonly error?: string;
    /** Commands: what the step printed. */
    readonly stdout?: string;
    readonly stderr?: string;
    readonly warnings?: string[];
}

export interface UpResult {
    readonly ok: boolean;
    /** The first step that failed, with its error. */
    readonly failed?: { name: string; error: string };
    readonly steps: StepEvent[];
    /** Steps that never started because of an earlier failure. */
    readonly notStarted: string[];
}

export interface UpOptions {
    /** Called when a step starts (for tests that watch the cluster during a deploy). */
    readonly onStart?: (name: string, op: StepOp) => void;
}

const key = (type: string, name: string) => `${type}::${name}`;

function autoname(name: string): string {
    return `${name}-${randomBytes(4).toString("hex").slice(0, 7)}`;
}

/** Replaces every string that is a mock value by the real value, deep. */
function resolve(value: unknown, real: (mock: string) => string | undefined): unknown {
    if (typeof value === "string") {
        return real(value) ?? value;
    }
    if (Array.isArray(value)) {
        return value.map((v) => resolve(v, real));
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, real)]));
    }
    return value;
}

/** Every string in a value, deep. */
function strings(value: unknown, out: string[] = []): string[] {
    if (typeof value === "string") {
        out.push(value);
    } else if (Array.isArray(value)) {
        value.forEach((v) => strings(v, out));
    } else if (value !== null && typeof value === "object") {
        Object.values(value).forEach((v) => strings(v, out));
    }
    return out;
}

/** pulumi-command's local `run`: /bin/sh -c <create> (or the interpreter), the provider's environment plus `environment`, stdin. */
export function runCommand(inputs: Obj, env: Readonly<Record<string, string>> = {}): Promise<JobResult> {
    const interpreter = Array.isArray(inputs.interpreter) ? inputs.interpreter.map(String) : ["/bin/sh", "-c"];
    const environment: Record<string, string> = { ...env };
    for (const [k, v] of Object.entries((inputs.environment as Obj | undefined) ?? {})) {
        environment[k] = String(v);
    }
    // In the project directory, where the tests run (the provider's working directory: commandOutputs.go).
    return runInvocation({
        argv: [...interpreter, String(inputs.create)],
        environment,
        stdin: typeof inputs.stdin === "string" && inputs.stdin !== "" ? inputs.stdin : undefined,
    });
}

/** One stack on the cluster: what is deployed, and `up` for each new program run. */
export class SwarmStack {
    private readonly state = new Map<string, Deployed>();
    private pendingDeletes: Deployed[] = [];

    constructor(
        private readonly manager: Engine,
        /** Environment the command provider runs with (e.g. PATH); DOCKER_HOST comes from the program. */
        private readonly commandEnv: Readonly<Record<string, string>> = {},
    ) {}

    /** The real resource of a logical name. */
    deployed(type: string, name: string): Deployed | undefined {
        return this.state.get(key(type, name));
    }

    async up(run: ProgramRun, options: UpOptions = {}): Promise<UpResult> {
        if (run.error !== undefined || run.rejections.length > 0) {
            throw new Error(
                `the program run failed under the mocks: ${run.error?.message ?? run.rejections.join("; ")}`,
            );
        }
        const resources = run.resources.filter((r) => r.custom && r.registered && !READS.has(r.type));
        const mocks = mockValues(resources);
        const real = (mock: string): string | undefined => {
            const m = mocks.get(mock);
            const d = m === undefined ? undefined : this.state.get(m.key);
            if (m === undefined || d === undefined) {
                return undefined;
            }
            return { id: d.id, name: d.realName, token: d.token, subnet: d.subnet }[m.output];
        };
        const steps: StepEvent[] = [];
        const started = new Set<string>();
        let failed: { name: string; error: string } | undefined;
        const promises = new Map<string, Promise<void>>();
        const deps = dependencies(resources, mocks);
        const schedule = (r: CapturedResource): Promise<void> => {
            const k = key(r.type, r.name);
            let p = promises.get(k);
            if (p === undefined) {
                p = (async () => {
                    await Promise.all((deps.get(k) ?? []).map((d) => schedule(d)));
                    if (failed !== undefined) {
                        throw new Error("not started: an earlier step failed");
                    }
                    started.add(k);
                    const inputs = resolve(r.inputs, real) as Obj;
                    const event = await this.step(r, inputs, options);
                    if (event !== undefined) {
                        steps.push(event);
                        if (event.error !== undefined && failed === undefined) {
                            failed = { name: r.name, error: event.error };
                        }
                    }
                    if (event?.error !== undefined) {
                        throw new Error(event.error);
                    }
                })();
                promises.set(k, p);
            }
            return p;
        };
        await Promise.allSettled(resources.map(schedule));
        if (failed === undefined) {
            failed = await this.deletePending();
        }
        const notStarted = resources.filter((r) => !started.has(key(r.type, r.name))).map((r) => r.name);
        return { ok: failed === undefined, failed, steps, notStarted };
    }

    /** The replaced secrets and configs, once nothing uses them. */
    private async deletePending(): Promise<{ name: string; error: string } | undefined> {
        const left: Deployed[] = [];
        let failure: { name: string; error: string } | undefined;
        for (const d of this.pendingDeletes) {
            try {
                await removeObject(this.manager, d.type === SECRET ? "secrets" : "configs", d.id);
            } catch (e) {
                left.push(d);
                failure ??= { name: d.name, error: (e as Error).message };
            }
        }
        this.pendingDeletes = left;
        return failure;
    }

    /** One resource: nothing when unchanged, else create, update, replace or run. */
    private async step(r: CapturedResource, inputs: Obj, options: UpOptions): Promise<StepEvent | undefined> {
        const k = key(r.type, r.name);
        const before = this.state.get(k);
        if (before !== undefined && isDeepStrictEqual(before.inputs, inputs)) {
            return undefined;
        }
        const op: StepOp =
            r.type === COMMAND ? "run" : before === undefined ? "create" : r.type === SERVICE ? "update" : "replace";
        options.onStart?.(r.name, op);
        const startedAt = Date.now();
        const base = { name: r.name, type: r.type, op, startedAt };
        try {
            const extra = await this.apply(r, inputs, before);
            return { ...base, ...extra, endedAt: Date.now() };
        } catch (e) {
            const partial = e as Error & { stdout?: string; stderr?: string };
            return {
                ...base,
                endedAt: Date.now(),
                error: partial.message,
                stdout: partial.stdout,
                stderr: partial.stderr,
            };
        }
    }

    private async apply(r: CapturedResource, inputs: Obj, before: Deployed | undefined): Promise<Partial<StepEvent>> {
        const k = key(r.type, r.name);
        const save = (d: Omit<Deployed, "type" | "name" | "inputs">) =>
            this.state.set(k, { type: r.type, name: r.name, inputs, ...d });
        switch (r.type) {
            case NETWORK:
            case VOLUME: {
                if (before !== undefined) {
                    throw new Error(`${r.name}: a change to a ${r.type} is a replacement, which this tier does not do`);
                }
                if (r.type === VOLUME) {
                    save({ id: await createVolume(this.manager, inputs) });
                    return {};
                }
                const id = await createNetwork(this.manager, inputs);
                save({ id, subnet: await allocatedSubnet(this.manager, id) });
                return {};
            }
            case SECRET:
            case CONFIG: {
                const realName = autoname(r.name);
                const create = r.type === SECRET ? createSecret : createConfig;
                save({ id: await create(this.manager, inputs, realName), realName });
                if (before !== undefined) {
                    this.pendingDeletes.push(before);
                }
                return {};
            }
            case SERVICE: {
                const step =
                    before === undefined
                        ? await serviceCreate(this.manager, inputs)
                        : await serviceUpdate(this.manager, before.id, inputs);
                save({ id: step.id });
                return { warnings: step.warnings };
            }
            case COMMAND: {
                const result = await runCommand(inputs, this.commandEnv);
                if (result.code !== 0) {
                    throw Object.assign(
                        new Error(`exit status ${String(result.code)}: ${result.stderr.trim()}`),
                        result,
                    );
                }
                save({
                    id: before?.id ?? `${r.name}-${randomBytes(4).toString("hex")}`,
                    token: runToken(result.stdout),
                });
                return { stdout: result.stdout, stderr: result.stderr };
            }
            default:
                throw new Error(`${r.name}: ${r.type} is not something the real-Swarm tier applies`);
        }
    }
}

type MockOutput = "id" | "name" | "token" | "subnet";

/**
 * mock value → the resource and output it stands for: `<name>-id` (every resource), autonames, run tokens,
 * a network's subnet (the mocks allocate one per network name; the frontend trusts the edge network's).
 */
function mockValues(resources: readonly CapturedResource[]): Map<string, { key: string; output: MockOutput }> {
    const out = new Map<string, { key: string; output: MockOutput }>();
    for (const r of resources) {
        const k = key(r.type, r.name);
        out.set(`${r.name}-id`, { key: k, output: "id" });
        const subnet = (r.state.ipamConfigs as { subnet?: unknown }[] | undefined)?.[0]?.subnet;
        if (r.type === NETWORK && typeof subnet === "string") {
            if (out.has(subnet)) {
                throw new Error(
                    `${r.name}: the mocks gave two networks the subnet ${subnet}; the tier could not tell them apart`,
                );
            }
            out.set(subnet, { key: k, output: "subnet" });
        }
        if ((r.type === SECRET || r.type === CONFIG) && typeof r.state.name === "string") {
            out.set(r.state.name, { key: k, output: "name" });
        }
        if (r.type === COMMAND && typeof r.state.stdout === "string" && runToken(r.state.stdout) !== "") {
            out.set(runToken(r.state.stdout), { key: k, output: "token" });
        }
    }
    return out;
}

/** Each resource's dependencies: its dependsOn (custom resources by name, or the children of a component) and its inputs. */
function dependencies(
    resources: readonly CapturedResource[],
    mocks: ReadonlyMap<string, { key: string }>,
): Map<string, CapturedResource[]> {
    const byKey = new Map(resources.map((r) => [key(r.type, r.name), r]));
    const byName = (name: string): CapturedResource[] => {
        const direct = resources.filter((r) => r.name === name);
        return direct.length > 0 ? direct : resources.filter((r) => r.opts.parent === name);
    };
    const out = new Map<string, CapturedResource[]>();
    for (const r of resources) {
        const found = new Set<CapturedResource>();
        r.opts.dependsOn.forEach((n) => byName(n).forEach((d) => found.add(d)));
        for (const s of strings(r.inputs)) {
            const m = mocks.get(s);
            const d = m === undefined ? undefined : byKey.get(m.key);
            if (d !== undefined && d !== r) {
                found.add(d);
            }
        }
        out.set(key(r.type, r.name), [...found]);
    }
    return out;
}
