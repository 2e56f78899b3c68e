import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./harness";

/**
 * What a user sees when the program stops on a bad configuration, produced by Pulumi's own Node
 * language-host entry point (@pulumi/pulumi cmd/run/index.js, which calls cmd/run/run.js), not by a
 * copy of its logic. test/runjs/mockEngine.ts is preloaded to set Pulumi's mocks, and --monitor=mock
 * makes the SDK use them. Without an engine the SDK's log.error writes "error: [runtime] <message>"
 * to stderr; under `pulumi up` the same message is the stack's diagnostic "error: <message>".
 */
const ENTRY = path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run", "index.js");
const PRELOAD = path.join(__dirname, "runjs", "mockEngine.ts");

function languageHost(program: string, config: Record<string, string>, previousOutputs: object = {}) {
    return spawnSync(
        process.execPath,
        ["--require", "tsx", "--require", PRELOAD, ENTRY,
         "--monitor=mock", "--organization=organization", "--project=frappe", "--stack=local", "--dry-run", program], // prettier-ignore
        {
            encoding: "utf8",
            timeout: 60_000,
            env: {
                ...process.env,
                PULUMI_CONFIG: JSON.stringify(config),
                FRAPPE_TEST_PREVIOUS_OUTPUTS: JSON.stringify(previousOutputs),
                FORCE_COLOR: "0",
            },
        },
    );
}

const SITES = JSON.stringify([{ name: "erp.localhost", apps: ["erpnext"] }]);

describe("a configuration error as Pulumi's Node runtime prints it (cmd/run/run.js)", function () {
    this.timeout(90_000);

    it("the entry point tells a RunError (message only) from any other Error (unhandled exception, stack)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runjs-"));
        const program = (name: string, body: string) => {
            const p = path.join(dir, name);
            fs.mkdirSync(p);
            fs.writeFileSync(path.join(p, "package.json"), JSON.stringify({ name, main: "index.js" }));
            fs.writeFileSync(
                path.join(p, "index.js"),
                `const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi"))});\n${body}\n`,
            );
            return p;
        };
        const plain = languageHost(program("plain", 'throw new Error("plain failure");'), {});
        assert.match(
            plain.stderr,
            /^error: \[runtime\] Running program '.*plain\/' failed with an unhandled exception:\nError: plain failure\n {4}at /,
        );
        const run = languageHost(program("run", 'throw new pulumi.RunError("run failure");'), {});
        assert.equal(run.stderr, "error: [runtime] run failure\n");
        assert.equal(run.status, 32, "the language host is told the error was already reported");
    });

    it("prints an invalid stack configuration as its message alone: no stack trace, no object dump", () => {
        const r = languageHost(REPO_ROOT, {
            "frappe:image": "frappe/erpnext",
            "frappe:tag": "v15.88.1",
            "frappe:sites": SITES,
            "frappe:db": JSON.stringify({ port: "x" }),
            "frappe:workerz": "2",
        });
        assert.equal(
            r.stderr,
            "error: [runtime] Invalid stack configuration (2 problems); nothing was deployed:\n" +
                "  - `frappe:workerz`: no such key; did you mean `frappe:workers`?\n" +
                '  - frappe:db.port: got "x"; expected port: an integer between 1 and 65535\n',
        );
        assert.equal(r.status, 32);
        assert.doesNotMatch(r.stderr, /unhandled exception|\n\s+at |issues:/);
    });

    it("prints a new tag kept on the previous tag's digest the same way, read from the last deploy's outputs", () => {
        const digest = `sha256:${"c".repeat(64)}`;
        const r = languageHost(
            REPO_ROOT,
            {
                "frappe:image": "frappe/erpnext",
                "frappe:tag": "v15.90.0",
                "frappe:digest": digest,
                "frappe:sites": SITES,
            },
            { imageTag: "v15.88.1", imageDigest: digest },
        );
        assert.equal(
            r.stderr,
            "error: [runtime] Invalid stack configuration (1 problem); nothing was deployed:\n" +
                `  - \`frappe:digest\`: frappe:tag changed from v15.88.1 to v15.90.0, but frappe:digest is still ${digest}, ` +
                "the digest of v15.88.1 that the last deploy ran, so the containers would keep running v15.88.1. " +
                "Set frappe:digest to the digest of v15.90.0 (npm run promote writes the tag and its digest together; " +
                "docker buildx imagetools inspect <image>:v15.90.0 prints it), or remove frappe:digest to run v15.90.0 as tagged.\n",
        );
        assert.equal(r.status, 32);
    });
});
