/**
 * Graph snapshots: the registered resource graph of every scenario the tests cover, compared with
 * golden files committed in test/graph/. They pin what a refactor must keep exactly: per resource its
 * type, name, parent, dependsOn, options (protect, retainOnDelete, deleteBeforeReplace,
 * replaceOnChanges, ignoreChanges, additionalSecretOutputs) and inputs (secrets as "[secret]", never
 * their values), plus the stack outputs, warnings and any error.
 *
 * Command text (a job's `create` and `environment`, the non-secret files uploaded into a container) is
 * kept apart in `<scenario>.scripts.json`, so that moving a script into a file can update that text
 * deliberately while everything else stays pinned.
 *
 * Regenerate only on purpose, and say in the commit message why the graph changed:
 *   UPDATE_GRAPH_SNAPSHOTS=scripts npm test -- --grep graph   # command text only
 *   UPDATE_GRAPH_SNAPSHOTS=1 npm test -- --grep graph         # everything
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { CapturedResource, ProgramRun, REPO_ROOT, runProgram } from "./harness";
import { SCENARIOS } from "./scenarios";

const GOLDEN_DIR = path.join(REPO_ROOT, "test", "graph");
const UPDATE = process.env.UPDATE_GRAPH_SNAPSHOTS ?? "";
const SECRET = "[secret]";
const SCRIPT = "[script: see .scripts.json]";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Plain JSON with sorted keys; values at the recorded secret paths become "[secret]". */
function canonical(v: unknown, at: string, secretPaths: readonly string[]): Json {
    if (secretPaths.includes(at)) {
        return SECRET;
    }
    if (Array.isArray(v)) {
        return v.map((x, i) => canonical(x, `${at}[${i}]`, secretPaths));
    }
    if (typeof v === "object" && v !== null) {
        const out: Record<string, Json> = {};
        for (const k of Object.keys(v).sort()) {
            const x = (v as Record<string, unknown>)[k];
            if (x !== undefined) {
                out[k] = canonical(x, at ? `${at}.${k}` : k, secretPaths);
            }
        }
        return out;
    }
    if (v === undefined) {
        return null;
    }
    return v as Json;
}

/** Moves the command text out of a resource's inputs into `scripts`, leaving a marker. */
function splitScripts(r: CapturedResource, inputs: Record<string, Json>): Record<string, Json> {
    const scripts: Record<string, Json> = {};
    if (r.type === "command:local:Command") {
        for (const k of ["create", "update", "delete", "environment"]) {
            if (k in inputs) {
                scripts[k] = inputs[k];
                inputs[k] = SCRIPT;
            }
        }
    }
    const uploads = inputs.uploads;
    if (Array.isArray(uploads)) {
        uploads.forEach((u, i) => {
            if (typeof u === "object" && u !== null && !Array.isArray(u) && typeof u.content === "string") {
                if (u.content !== SECRET) {
                    scripts[`uploads[${i}].content`] = u.content;
                    u.content = SCRIPT;
                }
            }
        });
    }
    return scripts;
}

interface Snapshot {
    readonly graph: Json;
    readonly scripts: Json;
}

function snapshot(run: ProgramRun): Snapshot {
    const resources = [...run.resources].sort((a, b) =>
        a.name === b.name ? a.type.localeCompare(b.type) : a.name.localeCompare(b.name),
    );
    const scripts: Record<string, Json> = {};
    const nodes = resources.map((r) => {
        const inputs = canonical(r.inputs, "", r.secretPaths) as Record<string, Json>;
        const text = splitScripts(r, inputs);
        if (Object.keys(text).length > 0) {
            scripts[`${r.type}::${r.name}`] = text;
        }
        return canonical(
            {
                type: r.type,
                name: r.name,
                custom: r.custom,
                registered: r.registered,
                parent: r.opts.parent ?? null,
                // Order in dependsOn carries no meaning to Pulumi.
                dependsOn: [...r.opts.dependsOn].sort(),
                options: {
                    protect: r.opts.protect,
                    retainOnDelete: r.opts.retainOnDelete,
                    deleteBeforeReplace: r.opts.deleteBeforeReplace,
                    replaceOnChanges: r.opts.replaceOnChanges,
                    ignoreChanges: r.opts.ignoreChanges,
                    additionalSecretOutputs: r.opts.additionalSecretOutputs,
                },
                inputs,
            },
            "",
            [],
        );
    });
    const outputs: Record<string, Json> = {};
    for (const k of Object.keys(run.outputs).sort()) {
        const o = run.outputs[k];
        outputs[k] = o.secret ? SECRET : canonical(o.value, "", []);
    }
    return {
        graph: {
            resources: nodes,
            outputs,
            warnings: run.warnings,
            rejections: run.rejections,
            error: run.error?.message ?? null,
        },
        scripts,
    };
}

/** Paths where two JSON values differ, for a readable failure. */
function differences(a: Json, b: Json, at = "", out: string[] = [], byName = false): string[] {
    if (out.length >= 25) {
        return out;
    }
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
        if (a !== b) {
            out.push(
                `${at || "<root>"}: golden ${JSON.stringify(a)?.slice(0, 160)} ≠ live ${JSON.stringify(b)?.slice(0, 160)}`,
            );
        }
        return out;
    }
    if (Array.isArray(a) !== Array.isArray(b)) {
        out.push(`${at}: array vs object`);
        return out;
    }
    const keyOf = (k: string): string => (byName || Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k);
    const named = (x: Json[]) =>
        x.every((e) => typeof e === "object" && e !== null && !Array.isArray(e) && typeof e.name === "string");
    if (Array.isArray(a) && Array.isArray(b) && named(a) && named(b)) {
        // Resources match by name, so one added or removed does not shift all the others.
        const byName = (x: Json[]) =>
            Object.fromEntries(
                x.map((e) => {
                    const { name, type } = e as Record<string, string>;
                    return [typeof type === "string" ? `${type}::${name}` : name, e];
                }),
            );
        return differences(byName(a), byName(b), at, out, true);
    }
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    for (const k of new Set([...ka, ...kb])) {
        const x = (a as Record<string, Json>)[k];
        const y = (b as Record<string, Json>)[k];
        if (x === undefined || y === undefined) {
            out.push(`${keyOf(k)}: ${x === undefined ? "only live" : "only golden"}`);
        } else {
            differences(x, y, keyOf(k), out);
        }
    }
    return out;
}

function goldenFile(scenario: string, part: "graph" | "scripts"): string {
    return path.join(GOLDEN_DIR, part === "graph" ? `${scenario}.json` : `${scenario}.scripts.json`);
}

function compare(scenario: string, part: "graph" | "scripts", live: Json, update: boolean): void {
    const file = goldenFile(scenario, part);
    if (update) {
        fs.mkdirSync(GOLDEN_DIR, { recursive: true });
        fs.writeFileSync(file, JSON.stringify(live, null, 2) + "\n");
        return;
    }
    assert.ok(fs.existsSync(file), `no golden file ${file}; create it with UPDATE_GRAPH_SNAPSHOTS=1`);
    const golden = JSON.parse(fs.readFileSync(file, "utf8")) as Json;
    const diff = differences(golden, live);
    assert.deepEqual(
        diff,
        [],
        `${scenario}: the ${part === "graph" ? "registered graph" : "command text"} changed:\n  ${diff.join("\n  ")}\n` +
            `If that is intended, regenerate with UPDATE_GRAPH_SNAPSHOTS=${part === "graph" ? "1" : "scripts"} ` +
            "npm test -- --grep graph and say why in the commit message.",
    );
}

describe("graph snapshots (resources, options, dependencies and inputs per scenario)", () => {
    for (const [scenario, options] of Object.entries(SCENARIOS)) {
        describe(scenario, () => {
            let snap: Snapshot;
            before(async () => {
                snap = snapshot(await runProgram(options()));
            });
            it("registers the same graph as the golden file", () => {
                compare(scenario, "graph", snap.graph, UPDATE === "1");
            });
            it("runs the same command text as the golden file", () => {
                compare(scenario, "scripts", snap.scripts, UPDATE === "1" || UPDATE === "scripts");
            });
        });
    }
});

describe("graph snapshots: the golden files and the comparison", () => {
    it("has a golden file for every scenario and no other", () => {
        const expected = Object.keys(SCENARIOS)
            .flatMap((s) => [`${s}.json`, `${s}.scripts.json`])
            .sort();
        assert.deepEqual(fs.readdirSync(GOLDEN_DIR).sort(), expected);
    });

    it("reports a changed input, a changed option and a missing resource", () => {
        const golden: Json = { resources: [{ name: "a", inputs: { image: "x" }, options: { protect: true } }] };
        const live: Json = { resources: [{ name: "a", inputs: { image: "y" }, options: { protect: false } }] };
        assert.deepEqual(differences(golden, live), [
            'resources[a].inputs.image: golden "x" ≠ live "y"',
            "resources[a].options.protect: golden true ≠ live false",
        ]);
        assert.deepEqual(differences({ resources: [{ name: "a" }] }, { resources: [] }), ["resources[a]: only golden"]);
    });
});
