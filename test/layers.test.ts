import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { REPO_ROOT } from "./harness";

/*
 * The layout docs/architecture.md draws, held against the code: every import in components/ (tests
 * beside the logic included) goes down a layer, never up or sideways, and no file reaches itself
 * through its imports. Imports are read with TypeScript's own pre-processor (ts.preProcessFile), the
 * way the compiler finds them, type-only imports included.
 */

/** The layers of docs/architecture.md, lowest first: each folder of components/ (bench's model apart from
 * the rest of bench) and each file at its top. */
const LAYERS: Record<string, number> = {
    conventions: 0,
    config: 1,
    bench: 2,
    image: 2,
    "bench/model": 3,
    sites: 3,
    jobs: 4,
    renderer: 5,
    docker: 6,
    swarm: 6,
    "deployment.ts": 7,
    "program.ts": 8,
};

const COMPONENTS = path.join(REPO_ROOT, "components");

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return sourceFiles(p);
        return e.name.endsWith(".ts") ? [p] : [];
    });
}

/**
 * The files of components/ each file imports: relative imports that stay in components/ (packages are
 * no layer; a test beside the logic may import the test helpers).
 */
function importGraph(): Map<string, string[]> {
    const graph = new Map<string, string[]>();
    for (const file of sourceFiles(COMPONENTS)) {
        const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
        const targets = info.importedFiles
            .map((i) => i.fileName)
            .filter((name) => name.startsWith("."))
            .map((name) => {
                const base = path.resolve(path.dirname(file), name);
                const found = [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
                assert.ok(found !== undefined, `${path.relative(REPO_ROOT, file)}: cannot resolve ${name}`);
                return found;
            })
            .filter((target) => !path.relative(COMPONENTS, target).startsWith(".."));
        graph.set(file, targets);
    }
    return graph;
}

/** The room of a file: its folder under components/ (bench/model apart), or its own name at the top. */
function room(file: string): string {
    const [top, sub] = path.relative(COMPONENTS, file).split(path.sep);
    return top === "bench" && sub === "model" ? "bench/model" : top;
}

/** Imports that run up a layer or sideways into another folder of the same layer. */
function wrongImports(graph: Map<string, string[]>): [string, string][] {
    const wrong: [string, string][] = [];
    for (const [file, targets] of graph) {
        for (const target of targets) {
            const [from, to] = [room(file), room(target)];
            if (from !== to && LAYERS[to] >= LAYERS[from]) wrong.push([file, target]);
        }
    }
    return wrong;
}

/** The import cycles of `graph`, each as the files around it (depth-first search, colouring). */
function cycles(graph: Map<string, string[]>): string[][] {
    const found: string[][] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (file: string): void => {
        state.set(file, "open");
        stack.push(file);
        for (const next of graph.get(file) ?? []) {
            if (state.get(next) === "open") found.push(stack.slice(stack.indexOf(next)).concat(next));
            else if (state.get(next) === undefined) visit(next);
        }
        stack.pop();
        state.set(file, "done");
    };
    for (const file of graph.keys()) if (state.get(file) === undefined) visit(file);
    return found;
}

describe("layout: components/ imports run down the layers, with no circle", () => {
    const graph = importGraph();
    const rel = (f: string) => path.relative(REPO_ROOT, f);

    it("names a layer for every folder and top-level file of components/", () => {
        const rooms = new Set([...graph.keys()].map(room));
        assert.deepEqual(
            [...rooms].filter((r) => LAYERS[r] === undefined),
            [],
        );
    });

    it("imports only from a lower layer, or from its own folder", () => {
        assert.deepEqual(
            wrongImports(graph).map(([f, t]) => `${rel(f)} -> ${rel(t)}`),
            [],
        );
    });

    it("has no import circle", () => {
        assert.deepEqual(
            cycles(graph).map((c) => c.map(rel).join(" -> ")),
            [],
        );
    });

    it("finds an upward import and a circle when there is one (the check itself)", () => {
        const a = path.join(COMPONENTS, "conventions", "a.ts");
        const b = path.join(COMPONENTS, "conventions", "b.ts");
        const up = path.join(COMPONENTS, "swarm", "x.ts");
        const sideways = path.join(COMPONENTS, "docker", "y.ts");
        const made = new Map([
            [a, [b]],
            [b, [a, up]],
            [up, [sideways, a]],
            [sideways, []],
        ]);
        assert.deepEqual(
            cycles(made).map((c) => c.map(rel)),
            [
                ["components/conventions/a.ts", "components/conventions/b.ts", "components/conventions/a.ts"],
                [
                    "components/conventions/a.ts",
                    "components/conventions/b.ts",
                    "components/swarm/x.ts",
                    "components/conventions/a.ts",
                ],
            ],
        );
        assert.deepEqual(
            wrongImports(made).map(([f, t]) => `${rel(f)} -> ${rel(t)}`),
            ["components/conventions/b.ts -> components/swarm/x.ts", "components/swarm/x.ts -> components/docker/y.ts"],
        );
    });
});
