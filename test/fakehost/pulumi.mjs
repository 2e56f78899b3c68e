// Stand-in Pulumi CLI over stacks kept in $FAKEHOST_STATE/pulumi/<stack>.json:
//   { "resources": [{ "urn", "type", "custom", "protect", "retainOnDelete", "parent", "dependencies": [],
//                     "docker": { "kind": "container"|"network"|"volume", "name" } }],   (in registration order)
//     "outputs": { "<name>": { "value", "secret" } } }
// with the rules of the real CLI and engine that teardown and the status command meet, from pulumi/pulumi
// (v3.x, master as indexed):
// - pkg/cmd/pulumi/operations/destroy.go: without a terminal, destroy needs --yes, --skip-preview or
//   --preview-only; --exclude-protected and --target exclude each other; --exclude-protected destroys
//   everything except the protected resources and everything they depend on, transitively (its
//   separateProtected, with pkg/resource/graph/dependency_graph.go TransitiveDependenciesOf: provider,
//   parent, dependencies), and when nothing is left to destroy prints so and succeeds;
// - pkg/resource/deploy/step.go DeleteStep.Apply: deleting a protected resource fails with
//   deleteProtectedError's text; a retainOnDelete resource leaves state without a provider delete;
//   step_executor.go cancelDueToError continues past those errors (since v3.150.0, #18396) and
//   deployment_executor.go skips the deletes of what a failed delete depends on, so a plain destroy removes
//   the same resources as --exclude-protected, then fails naming every protected one;
// - pkg/cmd/pulumi/state/state_unprotect.go: `state unprotect --all` clears protect on every resource;
//   without a terminal it needs --yes;
// - `stack output --json` prints secret outputs as "[secret]" unless --show-secrets; a stack that does not
//   exist is an error naming it.
// The Docker provider's deletes go through the `docker` on PATH (terraform-provider-docker v4.5.0 removes a
// container with force and its anonymous volumes). Providers themselves are not modelled.
// FAKEHOST_INTERACTIVE=1 stands for a terminal: prompts read one line from stdin.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const stateDir = process.env.FAKEHOST_STATE;
if (!stateDir) {
    process.stderr.write("fake pulumi: FAKEHOST_STATE is not set\n");
    process.exit(2);
}
const args = process.argv.slice(2);
fs.appendFileSync(path.join(stateDir, "calls"), `pulumi ${args.join(" ")}\n`);
const interactive = process.env.FAKEHOST_INTERACTIVE === "1";

const fail = (message) => {
    process.stderr.write(`error: ${message}\n`);
    process.exit(255);
};

const flags = {};
const words = [];
for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--stack" || a === "-s" || a === "--target" || a === "-t") {
        flags[a.replace(/^-s$/, "--stack").replace(/^-t$/, "--target")] = args[++i];
    } else if (a.startsWith("--stack=")) {
        flags["--stack"] = a.slice("--stack=".length);
    } else if (a.startsWith("-")) {
        flags[a === "-y" ? "--yes" : a] = true;
    } else {
        words.push(a);
    }
}
const stack = flags["--stack"] ?? process.env.FAKEHOST_SELECTED_STACK;
if (stack === undefined) fail("no stack selected; please use `pulumi stack select`");
const stackFile = path.join(stateDir, "pulumi", `${stack}.json`);
if (!fs.existsSync(stackFile)) fail(`no stack named '${stack}' found`);
const state = JSON.parse(fs.readFileSync(stackFile, "utf8"));
const save = () => fs.writeFileSync(stackFile, JSON.stringify(state, null, 2));

function confirm(question) {
    process.stdout.write(`${question} [yes/no] `);
    // One line, byte by byte: later prompts (or the caller) read the rest of stdin.
    let answer = "";
    const byte = Buffer.alloc(1);
    while (fs.readSync(0, byte, 0, 1, null) === 1 && byte[0] !== 10) answer += String.fromCharCode(byte[0]);
    answer = answer.trim();
    process.stdout.write("\n");
    return answer === "yes";
}

/** The protected resources and everything they depend on (parent, dependencies), transitively. */
function protectedClosure() {
    const byUrn = new Map(state.resources.map((r) => [r.urn, r]));
    const kept = new Set();
    const mark = (r) => {
        if (r === undefined || kept.has(r.urn)) return;
        kept.add(r.urn);
        mark(byUrn.get(r.parent));
        for (const d of r.dependencies ?? []) mark(byUrn.get(d));
    };
    state.resources.filter((r) => r.protect).forEach(mark);
    return kept;
}

/** The provider's delete: through the Docker CLI for Docker objects, nothing for the others. */
function providerDelete(r) {
    if (!r.custom || r.retainOnDelete || r.docker === undefined) return;
    const argv =
        r.docker.kind === "container" ? ["rm", "-f", "-v", r.docker.name] : [r.docker.kind, "rm", r.docker.name];
    const run = spawnSync("docker", argv, { encoding: "utf8" });
    if (run.status !== 0) {
        save();
        fail(`deleting ${r.urn}: ${run.stderr.trim()}`);
    }
}

function destroy() {
    if (!interactive && !flags["--yes"] && !flags["--skip-preview"] && !flags["--preview-only"]) {
        fail(
            "--yes or --skip-preview or --preview-only must be passed in to proceed when running in non-interactive mode",
        );
    }
    if (flags["--exclude-protected"] && flags["--target"]) fail("You cannot specify --target and --exclude-protected");
    const kept = protectedClosure();
    const targets = state.resources.filter((r) => !kept.has(r.urn));
    if (flags["--exclude-protected"] && kept.size > 0 && targets.length === 0) {
        process.stdout.write(
            `There were no unprotected resources to destroy. There are still ${kept.size} protected resources associated with this stack.\n`,
        );
        return;
    }
    process.stdout.write(`Previewing destroy (${stack}): ${targets.length} to delete\n`);
    if (flags["--preview-only"]) return;
    if (!flags["--yes"] && !flags["--skip-preview"] && !confirm("Do you want to perform this destroy?")) {
        fail("confirmation declined, not proceeding with the destroy");
    }
    for (const r of [...targets].reverse()) {
        providerDelete(r);
        state.resources = state.resources.filter((x) => x !== r);
        process.stdout.write(` - ${r.type} ${r.urn.split("::").pop()} deleted\n`);
    }
    save();
    const refused = flags["--exclude-protected"] ? [] : state.resources.filter((r) => r.protect);
    if (refused.length > 0) {
        for (const r of refused) {
            process.stderr.write(
                `error: resource "${r.urn}" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove the \`protect\` flag ` +
                    `from the resource in your Pulumi program and run \`pulumi up\`, or use the command:\n\`pulumi state unprotect '${r.urn}'\`\n`,
            );
        }
        process.exit(255);
    }
    if (state.resources.length === 0) {
        process.stdout.write(
            "The resources in the stack have been deleted, but the history and configuration associated with the stack are still maintained.\n",
        );
    }
}

function unprotect() {
    if (!flags["--all"]) fail("fake pulumi: only `state unprotect --all` is modelled");
    if (!flags["--yes"]) {
        if (!interactive) fail("--yes must be passed in to proceed when running in non-interactive mode");
        if (!confirm("This command will edit your stack's state directly. Confirm?")) fail("confirmation declined");
    }
    for (const r of state.resources) r.protect = false;
    save();
    process.stdout.write("All resources unprotected\n");
}

function output() {
    const name = words[2];
    const shown = (o) => (o.secret && !flags["--show-secrets"] ? "[secret]" : o.value);
    if (name !== undefined) {
        const o = state.outputs?.[name];
        if (o === undefined) fail(`current stack does not have output property '${name}'`);
        const v = shown(o);
        process.stdout.write(
            flags["--json"] ? `${JSON.stringify(v, null, 2)}\n` : `${typeof v === "string" ? v : JSON.stringify(v)}\n`,
        );
        return;
    }
    const all = Object.fromEntries(Object.entries(state.outputs ?? {}).map(([k, o]) => [k, shown(o)]));
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
}

const command = words.slice(0, 2).join(" ");
if (words[0] === "destroy") destroy();
else if (command === "state unprotect") unprotect();
else if (command === "stack output") output();
else fail(`fake pulumi: unsupported command ${args.join(" ")}`);
