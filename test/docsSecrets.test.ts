import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "./harness";
import { secretCommandFindings } from "./secretCommands";

/**
 * The commands the docs tell operators to run never put a secret on a command line (shell history, `ps`)
 * or in a file others can read: `pulumi config set --secret` takes no value (it asks without echo, or reads
 * stdin), `pulumi stack export --show-secrets --file` runs under `umask 077`, and no `-e`/`--env` carries a
 * secret-looking variable with its value.
 */

function operatorTexts(): { file: string; text: string }[] {
    const docs = fs
        .readdirSync(path.join(REPO_ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`);
    const stacks = fs.readdirSync(REPO_ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
    return ["README.md", ...docs, ...stacks].map((file) => ({
        file,
        text: fs.readFileSync(path.join(REPO_ROOT, file), "utf8"),
    }));
}

describe("docs commands keep secrets off command lines and out of readable files", () => {
    it("the README, docs/ and the stack files follow the rules", () => {
        assert.deepEqual(secretCommandFindings(operatorTexts()), []);
    });

    it("the rules catch each way a secret leaks", () => {
        const bad = [
            "pulumi config set --secret registryPassword hunter2 --stack staging",
            "pulumi config set --path --secret 'docker:registryAuth[0].password' t0k --stack production",
            "pulumi stack export --stack production --show-secrets --file production.json",
            "docker run -e RESTIC_PASSWORD=$(pulumi config get resticPassword) image",
            "set the new value with `pulumi config set --secret <key> <value> --stack production`",
        ].join("\n");
        assert.equal(secretCommandFindings([{ file: "x.md", text: bad }]).length, 5);
        const good = [
            "pulumi config set --secret registryPassword --stack staging",
            "(umask 077 && pulumi stack export --stack production --show-secrets --file production.json)",
            "docker run -e RESTIC_PASSWORD image",
        ].join("\n");
        assert.deepEqual(secretCommandFindings([{ file: "x.md", text: good }]), []);
    });
});
