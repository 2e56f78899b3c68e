/**
 * Which job and step of the GitHub Actions workflows sees which secret, and the rules that keep production's
 * credentials away from pull requests (docs/delivery.md, docs/security.md). The workflows are parsed with
 * `yaml`; actionlint checks their syntax separately (scripts/actionlint.ts).
 *
 * Facts the rules rest on (GitHub Actions documentation, "Using secrets in GitHub Actions" and "Managing
 * environments for deployment"): a `pull_request` run from a branch of the same repository receives the
 * repository's secrets, and it runs the workflow files of that branch, so its author can reference any
 * repository secret; environment secrets reach only jobs that name the environment and pass its deployment
 * branch rule; `pull_request_target` and `workflow_run` run with secrets on behalf of forks.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const WORKFLOW_DIR = path.join(__dirname, "..", ".github", "workflows");

/** The token GitHub creates per run, limited by `permissions:`; not a stored secret. */
const RUN_TOKEN = "GITHUB_TOKEN";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Dict = { [key: string]: Json };

export interface Step {
    readonly label: string;
    readonly secrets: readonly string[];
    readonly raw: Dict;
}

export interface Job {
    readonly id: string;
    readonly environment?: string;
    readonly condition?: string;
    /** Secrets referenced anywhere in the job except its steps (env, outputs, container...). */
    readonly jobLevelSecrets: readonly string[];
    readonly steps: readonly Step[];
}

export interface Workflow {
    readonly file: string;
    readonly triggers: readonly string[];
    readonly workflowLevelSecrets: readonly string[];
    readonly jobs: readonly Job[];
    readonly text: string;
}

const isDict = (v: Json | undefined): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every `secrets.NAME` in a value, and `secrets[...]`/`toJSON(secrets)` as `*` (an unknown secret). */
export function secretsIn(value: Json | undefined): string[] {
    const text = JSON.stringify(value ?? null);
    const names = [...text.matchAll(/\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    if (/\bsecrets\s*\[|\(\s*secrets\s*\)/.test(text)) {
        names.push("*");
    }
    return [...new Set(names)].sort();
}

function stepLabel(step: Dict, index: number): string {
    if (typeof step.name === "string") {
        return step.name;
    }
    if (typeof step.uses === "string") {
        return step.uses.split("@")[0];
    }
    if (typeof step.run === "string") {
        return step.run.split("\n")[0];
    }
    return `step ${index + 1}`;
}

function parseJob(id: string, job: Dict): Job {
    const rawSteps = Array.isArray(job.steps) ? job.steps.filter(isDict) : [];
    const rest = Object.fromEntries(Object.entries(job).filter(([k]) => k !== "steps" && k !== "if"));
    const environment = isDict(job.environment) ? job.environment.name : job.environment;
    return {
        id,
        ...(typeof environment === "string" ? { environment } : {}),
        ...(typeof job.if === "string" ? { condition: job.if } : {}),
        jobLevelSecrets: secretsIn(rest),
        steps: rawSteps.map((s, i) => ({ label: stepLabel(s, i), secrets: secretsIn(s), raw: s })),
    };
}

export function parseWorkflow(file: string, text: string): Workflow {
    const doc = parse(text) as Json;
    if (!isDict(doc)) {
        throw new Error(`${file}: not a workflow`);
    }
    const on = doc.on;
    const triggers =
        typeof on === "string" ? [on] : Array.isArray(on) ? on.map(String) : Object.keys(isDict(on) ? on : {});
    const jobs = isDict(doc.jobs) ? doc.jobs : {};
    return {
        file,
        triggers,
        workflowLevelSecrets: secretsIn(Object.fromEntries(Object.entries(doc).filter(([k]) => k !== "jobs"))),
        jobs: Object.entries(jobs)
            .filter((e): e is [string, Dict] => isDict(e[1]))
            .map(([id, job]) => parseJob(id, job)),
        text,
    };
}

export function shippedWorkflows(dir: string = WORKFLOW_DIR): Workflow[] {
    return fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => parseWorkflow(f, fs.readFileSync(path.join(dir, f), "utf8")));
}

/** `file job step: secrets` for every step that sees a stored secret (the run token included, by name). */
export function secretTable(workflows: readonly Workflow[]): Record<string, string[]> {
    const table: Record<string, string[]> = {};
    for (const w of workflows) {
        for (const j of w.jobs) {
            for (const s of j.steps.filter((x) => x.secrets.length > 0)) {
                table[`${w.file} ${j.id} ${s.label}`] = [...s.secrets];
            }
        }
    }
    return table;
}

const stored = (names: readonly string[]) => names.filter((n) => n !== RUN_TOKEN);

/** Third-party code runs by commit: `uses: owner/repo@<40 hex> # <version>` (local `./` actions aside). */
function pinFindings(w: Workflow): string[] {
    return [...w.text.matchAll(/^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/gm)]
        .filter((m) => !m[1].startsWith("./"))
        .filter((m) => !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(m[1]) || !/^\s+#\s*v\d/.test(m[2]))
        .map((m) => `${w.file}: ${m[1]} is not pinned to a commit SHA with its version as a comment`);
}

/** A step that installs or runs dependencies' code without needing a secret must not see one. */
function npmStepFindings(w: Workflow, j: Job): string[] {
    return j.steps
        .filter(
            (s) => typeof s.raw.run === "string" && /\bnpm (ci|install|test|run (typecheck|lint))\b/.test(s.raw.run),
        )
        .filter((s) => s.secrets.length > 0)
        .map((s) => `${w.file} ${j.id}: "${s.label}" runs dependencies' code and sees ${s.secrets.join(", ")}`);
}

/** A checkout leaves no token in .git/config for later steps unless the job pushes with one it names. */
function checkoutFindings(w: Workflow, j: Job): string[] {
    return j.steps
        .filter((s) => typeof s.raw.uses === "string" && s.raw.uses.startsWith("actions/checkout@"))
        .filter((s) => {
            const w2 = isDict(s.raw.with) ? s.raw.with : {};
            return w2["persist-credentials"] !== false && w2.token === undefined;
        })
        .map(() => `${w.file} ${j.id}: actions/checkout without persist-credentials: false`);
}

function jobFindings(w: Workflow, j: Job): string[] {
    const out: string[] = [];
    const where = `${w.file} ${j.id}`;
    if (j.jobLevelSecrets.length > 0) {
        out.push(
            `${where}: secrets at job level (${j.jobLevelSecrets.join(", ")}) reach every step; give them to steps`,
        );
    }
    const used = stored(j.steps.flatMap((s) => s.secrets));
    if (used.length > 0 && j.environment === undefined) {
        out.push(`${where}: uses ${[...new Set(used)].join(", ")} without an environment (a repository secret)`);
    }
    if (w.triggers.includes("pull_request") && j.environment !== undefined && j.environment !== "preview") {
        out.push(`${where}: a pull_request job takes the environment ${j.environment}; only preview is allowed`);
    }
    if (j.environment === "production") {
        if (w.triggers.join() !== "workflow_dispatch") {
            out.push(`${where}: production runs on ${w.triggers.join(", ")}; only workflow_dispatch is allowed`);
        }
        if (j.condition?.replace(/\s+/g, " ") !== "github.ref == 'refs/heads/main'") {
            out.push(`${where}: production job without if: github.ref == 'refs/heads/main'`);
        }
    }
    return [...out, ...npmStepFindings(w, j), ...checkoutFindings(w, j)];
}

/** Every rule broken by one workflow; empty when it follows them all. */
export function workflowFindings(w: Workflow): string[] {
    const out: string[] = [];
    for (const t of w.triggers.filter((x) => x === "pull_request_target" || x === "workflow_run")) {
        out.push(`${w.file}: trigger ${t} runs with secrets for code from forks`);
    }
    if (w.workflowLevelSecrets.length > 0) {
        out.push(`${w.file}: secrets at workflow level (${w.workflowLevelSecrets.join(", ")})`);
    }
    return [...out, ...pinFindings(w), ...w.jobs.flatMap((j) => jobFindings(w, j))];
}
