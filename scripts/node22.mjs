#!/usr/bin/env node
// Runs a command with Node.js 22, which @pulumi/pulumi >= 3.250 needs. Machines of this project's
// kind ship Node 20 and reach only the npm registry, so Node 22 comes from the registry's
// node-linux-<arch> package (the binary is inside it; no install script, no download from elsewhere).
// Usage: node scripts/node22.mjs <script.js> [args...]   (script resolved from the repo root)
//        node scripts/node22.mjs --bin-dir                 (prints the directory of that node binary;
//                                                           .ci/run puts it first on PATH)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_VERSION = "22.23.3";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function node22() {
    if (Number(process.versions.node.split(".")[0]) >= 22) {
        return process.execPath;
    }
    const arch = { x64: "x64", arm64: "arm64" }[process.arch];
    if (!arch || process.platform !== "linux") {
        throw new Error(`no Node 22 package for ${process.platform}/${process.arch}; install Node 22 yourself`);
    }
    const tools = join(root, ".ci", ".tools");
    const bin = join(tools, "node_modules", `node-linux-${arch}`, "bin", "node");
    if (!existsSync(bin)) {
        const r = spawnSync(
            "npm",
            ["install", "--no-save", "--no-package-lock", "--prefix", tools, `node-linux-${arch}@${NODE_VERSION}`],
            // npm's output goes to stderr, so `--bin-dir` prints only the directory.
            { stdio: ["ignore", 2, 2] },
        );
        if (r.status !== 0 || !existsSync(bin)) {
            throw new Error(`could not install node-linux-${arch}@${NODE_VERSION} from the npm registry`);
        }
    }
    return bin;
}

const [script, ...args] = process.argv.slice(2);
if (!script) {
    console.error("usage: node scripts/node22.mjs <script.js> [args...] | --bin-dir");
    process.exit(2);
}
if (script === "--bin-dir") {
    console.log(dirname(node22()));
    process.exit(0);
}
const r = spawnSync(node22(), [join(root, script), ...args], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
