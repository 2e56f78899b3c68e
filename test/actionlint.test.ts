import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { formatFinding, lintFiles, lintSources, REPO_ROOT, workflowFiles } from "../scripts/actionlint";

/** Three mistakes actionlint must catch: a job without runs-on, a typo'd `needs`, script injection. */
const BROKEN = `name: broken
on: pull_request
permissions:
  contents: read
jobs:
  build:
    steps:
      - run: echo hi
  deploy:
    needs: biuld
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.event.pull_request.title }}"
`;

const SCRIPT = path.join(REPO_ROOT, "scripts", "actionlint.ts");

function runScript(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const tsxCli = require.resolve("tsx/cli");
    const r = spawnSync(process.execPath, [tsxCli, SCRIPT, ...args], { cwd: REPO_ROOT, encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("scripts/actionlint.ts", () => {
    it("finds the shipped workflows and reports nothing for them", async () => {
        const files = await workflowFiles();
        const names = files.map((f) => path.basename(f));
        for (const expected of ["ci.yml", "deploy-staging.yml", "deploy-production.yml"]) {
            assert.ok(names.includes(expected), `${expected} missing from ${names.join(", ")}`);
        }
        assert.deepEqual((await lintFiles(files)).map(formatFinding), []);
    });

    it("catches a broken workflow and formats findings as file:line:col: message [kind]", async () => {
        const lines = (await lintSources([{ path: ".github/workflows/broken.yml", text: BROKEN }])).map(formatFinding);
        assert.ok(
            lines.some((l) =>
                /^\.github\/workflows\/broken\.yml:6:3: "runs-on" section is missing .*\[syntax-check\]$/.test(l),
            ),
            lines.join("\n"),
        );
        assert.ok(
            lines.some(
                (l) =>
                    l.startsWith(".github/workflows/broken.yml:9:3:") &&
                    l.includes('"biuld"') &&
                    l.endsWith("[job-needs]"),
            ),
            lines.join("\n"),
        );
        assert.ok(
            lines.some((l) => l.includes("github.event.pull_request.title") && l.endsWith("[expression]")),
            lines.join("\n"),
        );
    });

    describe("as a command", function () {
        // Spawns tsx and loads the WebAssembly build twice.
        this.timeout(60000);
        let dir: string;

        before(() => {
            dir = mkdtempSync(path.join(tmpdir(), "actionlint-"));
        });

        after(() => {
            rmSync(dir, { recursive: true, force: true });
        });

        it("exits 1 and prints each finding when a workflow is broken", () => {
            const file = path.join(dir, "broken.yml");
            writeFileSync(file, BROKEN);
            const r = runScript([file]);
            assert.equal(r.status, 1, r.stderr);
            const findings = r.stdout.trim().split("\n");
            assert.ok(findings.length >= 3, r.stdout);
            for (const line of findings) {
                assert.match(line, /^.+broken\.yml:\d+:\d+: .+ \[[a-z-]+\]$/);
            }
            assert.match(r.stderr, /1 workflow file\(s\), \d+ finding\(s\)/);
        });

        it("exits 0 on the repository's workflows", () => {
            const r = runScript([]);
            assert.equal(r.status, 0, r.stdout + r.stderr);
            assert.match(r.stdout, /actionlint: \d+ workflow file\(s\), 0 finding\(s\)/);
        });
    });
});
