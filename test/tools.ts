import { spawnSync } from "child_process";

/**
 * External tools the script tests use. Locally a missing tool skips its test with a message; in CI
 * (`CI` set) it fails, so the checks can never silently stop running (.ci/run installs them).
 */

export const IN_CI = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";

/** A Python 3 that can import `module`: the first of python3 and Debian's /usr/bin/python3 that can. */
export function pythonWith(module?: string): string | undefined {
    for (const python of ["python3", "/usr/bin/python3"]) {
        const r = spawnSync(python, ["-c", module === undefined ? "pass" : `import ${module}`], { encoding: "utf8" });
        if (r.status === 0) {
            return python;
        }
    }
    return undefined;
}

/** Whether `shellcheck` runs here. */
export function hasShellcheck(): boolean {
    return spawnSync("shellcheck", ["--version"]).status === 0;
}

/** Skips the running test (with the reason) when a tool is missing here, fails in CI. */
export function requireTool(ctx: Mocha.Context, ok: boolean, what: string, install: string): void {
    if (ok) {
        return;
    }
    if (IN_CI) {
        throw new Error(`${what} is missing in CI: ${install}`);
    }
    console.log(`      (skipped: ${what} is missing; ${install})`);
    ctx.skip();
}
