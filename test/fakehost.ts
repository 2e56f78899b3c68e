import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CapturedResource, labelsOf, ProgramRun } from "./harness";

/**
 * A Docker host and a Pulumi backend for the stand-in `docker` and `pulumi` of test/fakehost, seeded
 * from a mock run of the whole program: the stack's state holds the resources the program registers (type,
 * protect, retainOnDelete, parent, dependsOn, in registration order), and the host holds the containers,
 * network and volumes those resources created, as a deploy would have left them.
 */
export const FAKEHOST_DIR = path.join(__dirname, "fakehost");

interface FakeContainer {
    name: string;
    state: "running" | "exited";
    labels: Record<string, string>;
    volumes: string[];
    networks: string[];
}

export interface FakeHost {
    readonly dir: string;
    docker(): { containers: FakeContainer[]; networks: { name: string }[]; volumes: { name: string }[] };
    stack(name: string): { resources: { urn: string; type: string; protect: boolean }[] } | undefined;
    calls(): string[];
    env(): Record<string, string>;
}

const urnOf = (stack: string, r: { type: string; name: string }) => `urn:pulumi:${stack}::frappe::${r.type}::${r.name}`;

function dockerObject(r: CapturedResource): { kind: string; name: string } | undefined {
    const kind = { "docker:index/container:Container": "container", "docker:index/network:Network": "network" }[r.type];
    if (r.type === "docker:index/volume:Volume") return { kind: "volume", name: String(r.inputs.name) };
    return kind === undefined ? undefined : { kind, name: String(r.inputs.name) };
}

function containerOf(r: CapturedResource): FakeContainer {
    const volumes = ((r.inputs.volumes as { volumeName?: string }[] | undefined) ?? [])
        .map((v) => v.volumeName)
        .filter((v): v is string => v !== undefined);
    const networks = ((r.inputs.networksAdvanced as { name: string }[] | undefined) ?? []).map((n) => n.name);
    return { name: String(r.inputs.name), state: "running", labels: labelsOf(r), volumes, networks };
}

/** A host and backend after `pulumi up` of `stack` (the run), plus any extra containers (jobs' leftovers). */
export function fakeHost(stack: string, run: ProgramRun, extra: FakeContainer[] = []): FakeHost {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fakehost-"));
    fs.mkdirSync(path.join(dir, "pulumi"));
    const byName = new Map(run.resources.map((r) => [r.name, r]));
    const registered = run.resources.filter((r) => r.registered || !r.custom);
    const resources = registered.map((r) => ({
        urn: urnOf(stack, r),
        type: r.type,
        custom: r.custom,
        protect: r.opts.protect,
        retainOnDelete: r.opts.retainOnDelete,
        parent: r.opts.parent === undefined ? undefined : urnOf(stack, byName.get(r.opts.parent) ?? r),
        dependencies: r.opts.dependsOn.filter((d) => byName.has(d)).map((d) => urnOf(stack, byName.get(d) ?? r)),
        docker: dockerObject(r),
    }));
    const outputs = Object.fromEntries(Object.entries(run.outputs).map(([k, o]) => [k, o]));
    fs.writeFileSync(path.join(dir, "pulumi", `${stack}.json`), JSON.stringify({ resources, outputs }, null, 2));
    const docker = {
        containers: [
            ...registered.filter((r) => r.type === "docker:index/container:Container").map(containerOf),
            ...extra,
        ],
        networks: registered
            .filter((r) => r.type === "docker:index/network:Network")
            .map((r) => ({ name: String(r.inputs.name), labels: labelsOf(r) })),
        volumes: registered
            .filter((r) => r.type === "docker:index/volume:Volume")
            .map((r) => ({ name: String(r.inputs.name), labels: labelsOf(r) })),
    };
    fs.writeFileSync(path.join(dir, "docker.json"), JSON.stringify(docker, null, 2));
    fs.writeFileSync(path.join(dir, "calls"), "");
    return {
        dir,
        docker: () =>
            JSON.parse(fs.readFileSync(path.join(dir, "docker.json"), "utf8")) as ReturnType<FakeHost["docker"]>,
        stack: (name) => {
            const f = path.join(dir, "pulumi", `${name}.json`);
            return fs.existsSync(f)
                ? (JSON.parse(fs.readFileSync(f, "utf8")) as ReturnType<FakeHost["stack"]>)
                : undefined;
        },
        calls: () => fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n").filter(Boolean),
        env: () => ({ FAKEHOST_STATE: dir, FAKEHOST_NODE: process.execPath }),
    };
}

/** A directory for PATH holding only the named real tools (linked in). */
export function realTools(tools: readonly string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tools-"));
    for (const tool of tools) {
        const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        if (!found) throw new Error(`${tool} is not on this machine`);
        fs.symlinkSync(found, path.join(dir, tool));
    }
    return dir;
}

/** Runs a shell command line on the fake host: PATH is the given real tools plus the stand-in docker and pulumi. */
export function onFakeHost(
    host: FakeHost,
    argv: string[],
    opts: { tools: string; env?: Record<string, string>; input?: string; cwd?: string },
): SpawnSyncReturns<string> {
    return spawnSync(argv[0], argv.slice(1), {
        encoding: "utf8",
        cwd: opts.cwd,
        input: opts.input ?? "",
        env: { PATH: `${opts.tools}:${FAKEHOST_DIR}`, HOME: host.dir, ...host.env(), ...opts.env },
    });
}
