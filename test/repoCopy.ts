import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as Harness from "./harness";
import { REPO_ROOT } from "./harness";

/**
 * A copy of the repository (its tracked files, node_modules linked) in a temporary directory, for tests
 * that change the program's own files: they change the copy, never the checkout, and run the copy's
 * program through the copy's harness. The copy shares the checkout's @pulumi/pulumi (node_modules is a
 * link, and Node loads a module once per real path), so the copy runs under the same mocks.
 */
export interface RepoCopy {
    readonly root: string;
    /** Rewrites one file of the copy, given by its path from the repository root. */
    edit(file: string, change: (text: string) => string): void;
    /** The copy's own test harness, which runs the copy's program. */
    harness(): Promise<typeof Harness>;
    remove(): void;
}

export function copyRepository(): RepoCopy {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "frappe-repo-copy-"));
    const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: REPO_ROOT, encoding: "utf8" })
        .split("\0")
        .filter((f) => f !== "" && fs.existsSync(path.join(REPO_ROOT, f)));
    for (const file of tracked) {
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.copyFileSync(path.join(REPO_ROOT, file), path.join(root, file));
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"));
    return {
        root,
        edit(file, change) {
            const at = path.join(root, file);
            const before = fs.readFileSync(at, "utf8");
            const after = change(before);
            if (after === before) {
                throw new Error(`copyRepository: the edit of ${file} changed nothing`);
            }
            fs.writeFileSync(at, after);
        },
        harness: () => import(path.join(root, "test", "harness.ts")) as Promise<typeof Harness>,
        remove: () => fs.rmSync(root, { recursive: true, force: true }),
    };
}
