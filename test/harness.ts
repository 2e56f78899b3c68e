import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../components/config/issues";
import { ProgramOutputs, runFrappeProgram } from "../components/program";
import { ScriptFile } from "../components/bench/scriptFiles";
import { composedScript } from "../components/jobs/jobRun";
import { createMocks, MockBehaviour, MockRecord } from "./mocks";

export const REPO_ROOT = path.resolve(__dirname, "..");

/** Resource options as the program set them; Pulumi's mocks never see options, so they are captured here. */
export interface CapturedOptions {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly replaceOnChanges: string[];
    readonly ignoreChanges: string[];
    readonly additionalSecretOutputs: string[];
    /** Logical names of the resources this one directly depends on. */
    readonly dependsOn: string[];
    /**
     * Logical names of the provider resources whose outputs flow into this one's inputs: the engine
     * waits for them too (a component among them stands for its provider resources).
     */
    readonly inputDependsOn: string[];
    /** Logical name of the parent component. */
    readonly parent?: string;
}

export interface CapturedResource {
    readonly type: string;
    readonly name: string;
    /** Whether the resource reached the (mock) provider; false when a failed job gated it. */
    readonly registered: boolean;
    /** Inputs as the provider received them, secrets unwrapped. */
    readonly inputs: Record<string, unknown>;
    /** Input paths that arrived as Pulumi secrets (e.g. `uploads`, `secrets.apps_json`). */
    readonly secretPaths: string[];
    /** What the mock provider returned. */
    readonly state: Record<string, unknown>;
    readonly opts: CapturedOptions;
    readonly custom: boolean;
}

export interface ResolvedOutput {
    readonly value: unknown;
    readonly secret: boolean;
}

export interface ProgramRun {
    readonly resources: CapturedResource[];
    readonly outputs: Record<string, ResolvedOutput>;
    /** Set when the program threw (config errors, failed jobs). */
    readonly error?: Error;
    /** Inputs the strict mocks refused. */
    readonly rejections: string[];
    /** Warnings the program logged (pulumi.log.warn). */
    readonly warnings: string[];
}

export interface RunOptions extends MockBehaviour {
    readonly stack: string;
    /** Stack config without the `frappe:` prefix (objects as objects); keys containing ':' are passed as-is. */
    readonly config: Record<string, unknown>;
    /** Secret config values (without prefix). */
    readonly secrets?: Record<string, string>;
}

function fullKey(k: string): string {
    return k.includes(":") ? k : `frappe:${k}`;
}

function toConfigString(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

interface OutputInternals {
    promise(): Promise<unknown>;
    isSecret: Promise<boolean>;
    allResources?: () => Promise<Set<pulumi.Resource>>;
    resources(): Set<pulumi.Resource>;
}

function internals(o: unknown): OutputInternals {
    return o as OutputInternals;
}

/** Resolves an Output without hanging when it never resolves (a gated resource, a failed job). */
async function settle<T>(p: Promise<T>, ms: number): Promise<{ ok: true; value: T } | { ok: false; error?: unknown }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ ok: false }>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false }), ms);
    });
    try {
        return await Promise.race([p.then((value) => ({ ok: true as const, value })), timeout]);
    } catch (error) {
        return { ok: false, error };
    } finally {
        clearTimeout(timer);
    }
}

async function resolveDependsOn(
    deps: pulumi.ResourceOptions["dependsOn"],
    names: Map<pulumi.Resource, string>,
): Promise<string[]> {
    if (deps === undefined) {
        return [];
    }
    const top = pulumi.Output.isInstance(deps)
        ? await settle(internals(deps).promise(), 2000)
        : { ok: true, value: deps };
    if (!top.ok) {
        return ["<unresolved>"];
    }
    const list = Array.isArray(top.value) ? (top.value as unknown[]) : [top.value];
    const out: string[] = [];
    for (const item of list) {
        const r = pulumi.Output.isInstance(item)
            ? await settle(internals(item).promise(), 2000)
            : { ok: true, value: item };
        if (!r.ok) {
            out.push("<unresolved>");
            continue;
        }
        const values = Array.isArray(r.value) ? (r.value as unknown[]) : [r.value];
        for (const v of values) {
            out.push(names.get(v as pulumi.Resource) ?? "<unknown resource>");
        }
    }
    return out;
}

/** The resources behind every Output among a resource's inputs, at any depth. */
async function inputResources(props: unknown, found = new Set<pulumi.Resource>()): Promise<Set<pulumi.Resource>> {
    if (pulumi.Output.isInstance(props)) {
        const o = internals(props);
        const all = o.allResources ? await settle(o.allResources(), 2000) : { ok: true, value: o.resources() };
        for (const r of all.ok ? all.value : o.resources()) {
            found.add(r);
        }
        const value = await settle(o.promise(), 2000);
        if (value.ok) {
            await inputResources(value.value, found);
        }
    } else if (Array.isArray(props)) {
        for (const x of props) {
            await inputResources(x, found);
        }
    } else if (typeof props === "object" && props !== null && !(props instanceof pulumi.Resource)) {
        for (const x of Object.values(props)) {
            await inputResources(x, found);
        }
    }
    return found;
}

/**
 * Runs the whole program under Pulumi's mocks with the given stack config and returns every
 * resource with its inputs and options, the stack outputs, and any error the program raised.
 */
export async function runProgram(options: RunOptions): Promise<ProgramRun> {
    const records: MockRecord[] = [];
    const rejections: string[] = [];
    await pulumi.runtime.setMocks(
        createMocks(options, records, rejections),
        "frappe",
        options.stack,
        false,
        "organization",
    );
    const entries: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.config)) {
        entries[fullKey(k)] = toConfigString(v);
    }
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(options.secrets ?? {})) {
        entries[fullKey(k)] = v;
        secretKeys.push(fullKey(k));
    }
    pulumi.runtime.setAllConfig(entries, secretKeys);

    const captured: {
        resource: pulumi.Resource;
        type: string;
        name: string;
        props: pulumi.Inputs;
        opts: pulumi.ResourceOptions;
        custom: boolean;
    }[] = [];
    const names = new Map<pulumi.Resource, string>();
    const capture: pulumi.ResourceTransformation = (args) => {
        captured.push({
            resource: args.resource,
            type: args.type,
            name: args.name,
            props: args.props,
            opts: args.opts,
            custom: args.resource instanceof pulumi.CustomResource,
        });
        names.set(args.resource, args.name);
        return undefined;
    };

    const warnings: string[] = [];
    const log = pulumi.log as { warn: (msg: string) => Promise<void> };
    const originalWarn = log.warn;
    log.warn = (msg: string) => {
        warnings.push(msg);
        return Promise.resolve();
    };

    let outputs: ProgramOutputs | undefined;
    let error: Error | undefined;
    try {
        outputs = await runFrappeProgram({ projectRoot: REPO_ROOT, componentOptions: { transformations: [capture] } });
    } catch (e) {
        error = e as Error;
    }
    for (const c of captured) {
        names.set(c.resource, c.name);
    }

    // Wait for every registration; resources behind a failed job never register, so bound the wait.
    const urns = await Promise.all(captured.map((c) => settle(internals(c.resource.urn).promise(), 3000)));
    for (const u of urns) {
        if (!u.ok && u.error instanceof Error && error === undefined) {
            error = u.error;
        }
    }

    const resolvedOutputs: Record<string, ResolvedOutput> = {};
    if (outputs) {
        for (const [k, v] of Object.entries(outputs)) {
            if (pulumi.Output.isInstance(v)) {
                const r = await settle(internals(v).promise(), 3000);
                if (r.ok) {
                    resolvedOutputs[k] = { value: r.value, secret: await internals(v).isSecret };
                } else if (r.error instanceof Error && error === undefined) {
                    error = r.error;
                }
            } else {
                resolvedOutputs[k] = { value: v, secret: false };
            }
        }
    }

    // A component stands for the provider resources under it.
    const customUnder = (r: pulumi.Resource): string[] => {
        const c = captured.find((x) => x.resource === r);
        if (c === undefined) {
            return [];
        }
        return c.custom
            ? [c.name]
            : captured.filter((x) => x.opts.parent === r).flatMap((x) => customUnder(x.resource));
    };
    const resources: CapturedResource[] = [];
    for (const c of captured) {
        const fromInputs = c.custom ? [...(await inputResources(c.props))].flatMap(customUnder) : [];
        const record = records.find((r) => r.type === c.type && r.name === c.name);
        resources.push({
            type: c.type,
            name: c.name,
            registered: record !== undefined,
            inputs: record?.inputs ?? {},
            secretPaths: record?.secretPaths ?? [],
            state: record?.state ?? {},
            custom: c.custom,
            opts: {
                protect: c.opts.protect === true,
                retainOnDelete: c.opts.retainOnDelete === true,
                deleteBeforeReplace: (c.opts as pulumi.CustomResourceOptions).deleteBeforeReplace === true,
                replaceOnChanges: [...(c.opts.replaceOnChanges ?? [])],
                ignoreChanges: [...(c.opts.ignoreChanges ?? [])],
                additionalSecretOutputs: [...((c.opts as pulumi.CustomResourceOptions).additionalSecretOutputs ?? [])],
                dependsOn: await resolveDependsOn(c.opts.dependsOn, names),
                inputDependsOn: [...new Set(fromInputs)].filter((n) => n !== c.name).sort(),
                parent: c.opts.parent ? names.get(c.opts.parent) : undefined,
            },
        });
    }
    log.warn = originalWarn;
    return { resources, outputs: resolvedOutputs, error, rejections, warnings };
}

/** Reads a shipped stack file (`Pulumi.<stack>.yaml`) into the shape `runProgram` takes. */
export function loadStackConfig(stack: string): { config: Record<string, unknown>; secrets: Record<string, string> } {
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    const config: Record<string, unknown> = {};
    const secrets: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc?.config ?? {})) {
        const key = k.startsWith("frappe:") ? k.slice("frappe:".length) : k;
        if (typeof v === "object" && v !== null && "secure" in v) {
            // Encrypted in the file; any value stands in for it under mocks.
            secrets[key] = `test-${key}`;
        } else {
            config[key] = v;
        }
    }
    return { config, secrets };
}

/** Convenience finders for assertions. */
export function containers(run: ProgramRun): CapturedResource[] {
    return run.resources.filter((r) => r.type === "docker:index/container:Container");
}

/** The provider resource (not the component of the same name) with this logical name. */
export function byName(run: ProgramRun, name: string): CapturedResource {
    const found = run.resources.find((r) => r.name === name && r.custom);
    if (!found) {
        throw new Error(`no resource named ${name}; have: ${run.resources.map((r) => r.name).join(", ")}`);
    }
    return found;
}

export function labelsOf(r: CapturedResource): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of (r.inputs.labels as { label: string; value: string }[] | undefined) ?? []) {
        out[l.label] = l.value;
    }
    return out;
}

export function envOf(r: CapturedResource): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of (r.inputs.envs as string[] | undefined) ?? []) {
        const i = e.indexOf("=");
        out[e.slice(0, i)] = e.slice(i + 1);
    }
    return out;
}

export { ConfigError };

/** Splits a shell line into words: single quotes (as `shellQuote` writes them), double quotes, bare words. */
export function shellWords(line: string): string[] {
    const words: string[] = [];
    let i = 0;
    while (i < line.length) {
        while (line[i] === " ") {
            i++;
        }
        if (i >= line.length) {
            break;
        }
        let word = "";
        while (i < line.length && line[i] !== " ") {
            if (line[i] === "'") {
                const end = line.indexOf("'", i + 1);
                word += line.slice(i + 1, end);
                i = end + 1;
            } else if (line[i] === '"') {
                const end = line.indexOf('"', i + 1);
                word += line.slice(i + 1, end);
                i = end + 1;
            } else {
                word += line[i];
                i++;
            }
        }
        words.push(word);
    }
    return words;
}

/** A run-once job as the program asks the Docker CLI to run it. */
export interface JobView {
    readonly resource: CapturedResource;
    /** Docker container name. */
    readonly name: string;
    readonly image: string;
    readonly network: string;
    /** `volume:path[:ro]` */
    readonly volumes: string[];
    /** `--mount` values (volumes created with a driver and options: Swarm's sites volume). */
    readonly mounts: string[];
    readonly env: Record<string, string>;
    readonly labels: Record<string, string>;
    readonly tmpfs: string[];
    readonly entrypoint: string;
    /** Arguments after the image (`-c`); run-job.sh adds the script as the last one. */
    readonly args: string[];
    /** The script the container runs (secret prelude, helpers and `$FRAPPE_JOB_SCRIPT`, read from the repository). */
    readonly script: string;
    /** Secret files handed over on stdin, decoded. */
    readonly secrets: Record<string, string>;
    /** Whether stdin (which carries the secrets) reached the provider as a Pulumi secret. */
    readonly stdinSecret: boolean;
}

export function jobOf(run: ProgramRun, key: string): JobView {
    const resource = run.resources.find(
        (r) => r.custom && r.type === "command:local:Command" && r.name === `frappe-bench-${key}`,
    );
    if (!resource) {
        throw new Error(`no job ${key}`);
    }
    // The command's inputs: run-job.sh (create) with the docker run arguments one per line in its env.
    const env = (resource.inputs.environment as Record<string, string> | undefined) ?? {};
    if (env.FRAPPE_JOB_RUN_ARGS === undefined) {
        throw new Error(`job ${key}: no FRAPPE_JOB_RUN_ARGS in ${JSON.stringify(resource.inputs)}`);
    }
    const words = ["docker", "run", ...env.FRAPPE_JOB_RUN_ARGS.split("\n")];
    const view = {
        name: "",
        image: "",
        network: "",
        volumes: [] as string[],
        mounts: [] as string[],
        env: {} as Record<string, string>,
        labels: {} as Record<string, string>,
        tmpfs: [] as string[],
        entrypoint: "",
        args: [] as string[],
    };
    let i = 3; // docker run -i
    for (; i < words.length; i += 2) {
        const [flag, value] = [words[i], words[i + 1]];
        if (flag === "--name") view.name = value;
        else if (flag === "--network") view.network = value;
        else if (flag === "--volume") view.volumes.push(value);
        else if (flag === "--mount") view.mounts.push(value);
        else if (flag === "--env") view.env[value.slice(0, value.indexOf("="))] = value.slice(value.indexOf("=") + 1);
        else if (flag === "--label")
            view.labels[value.slice(0, value.indexOf("="))] = value.slice(value.indexOf("=") + 1);
        else if (flag === "--tmpfs") view.tmpfs.push(value);
        else if (flag === "--entrypoint") {
            view.entrypoint = value;
            view.image = words[i + 2];
            view.args = words.slice(i + 3);
            break;
        } else throw new Error(`job ${key}: unexpected docker run flag ${flag}`);
    }
    const secrets: Record<string, string> = {};
    const stdin = typeof resource.inputs.stdin === "string" ? resource.inputs.stdin : "";
    for (const l of stdin.split("\n").filter((x) => x !== "")) {
        const [file, value] = l.split(" ");
        secrets[file] = Buffer.from(value, "base64").toString("utf8");
    }
    // The script the container runs, as run-job.sh reads it from the repository when the job runs.
    const helpers = (env.FRAPPE_JOB_HELPERS ?? "").split(" ").filter((h) => h !== "") as ScriptFile[];
    const script = composedScript(env.FRAPPE_JOB_SCRIPT as ScriptFile, env.FRAPPE_JOB_PRELUDE === "1", helpers);
    return {
        resource,
        ...view,
        script,
        secrets,
        stdinSecret: resource.secretPaths.includes("stdin"),
    };
}

export function jobs(run: ProgramRun): CapturedResource[] {
    return run.resources.filter((r) => r.custom && r.type === "command:local:Command");
}
