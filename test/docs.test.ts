import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { allKeyPaths } from "../components/config/keys";
import { SECRET_KEYS, stackSchema } from "../components/config/schema";
import { REPO_ROOT } from "./harness";

/** README.md and every page under docs/, as the operator reads them. */
function pages(): { file: string; text: string }[] {
    const docs = fs
        .readdirSync(path.join(REPO_ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => path.join("docs", f));
    return ["README.md", ...docs].map((file) => ({ file, text: fs.readFileSync(path.join(REPO_ROOT, file), "utf8") }));
}

/** Each `frappe:<key>` a page names, as a dotted schema path (`sites[0].name` → `sites.name`). */
function mentionedKeys(text: string): string[] {
    const out: string[] = [];
    for (const line of text.split("\n")) {
        if (/no such key|did you mean/.test(line)) {
            continue; // an example of the unknown-key error names a wrong key on purpose
        }
        // Not type tokens (frappe:index:Deployment, frappe:<module>:<Name>) nor placeholders (frappe:<key>).
        for (const m of line.matchAll(/frappe:([A-Za-z][\w.[\]-]*)(:[A-Za-z<])?/g)) {
            if (m[2] === undefined) {
                out.push(m[1].replace(/\.+$/, "").replace(/\[\d+\]/g, ""));
            }
        }
    }
    return out;
}

describe("README and docs name only things that exist", () => {
    const all = pages();
    const known = new Set([...allKeyPaths(stackSchema), ...SECRET_KEYS]);
    const scripts = Object.keys(
        (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: object }).scripts,
    );
    // The stack outputs are the fields of ProgramOutputs (index.ts exports what runFrappeProgram resolves to).
    const programTs = fs.readFileSync(path.join(REPO_ROOT, "components", "program.ts"), "utf8");
    const outputsBlock = /export interface ProgramOutputs \{([\s\S]*?)\n\}/.exec(programTs)?.[1] ?? "";
    const outputs = [...outputsBlock.matchAll(/^ {4}readonly (\w+)\??:/gm)].map((m) => m[1]);

    it("reads the key paths from the schema, at any depth (so new keys are known without editing this test)", () => {
        for (const key of [
            "sites.apps",
            "db.engine",
            "workers.custom.queues",
            "proxy.https.email",
            "volumes.db-data",
        ]) {
            assert.ok(known.has(key), key);
        }
        assert.deepEqual(mentionedKeys("`frappe:sites[0].name` and frappe:bench:Service, frappe:<key>"), [
            "sites.name",
        ]);
        assert.ok(!known.has("site") && !known.has("db.imgae"));
    });

    it("every frappe: config key mentioned is a key of the schema", () => {
        const wrong = all.flatMap((p) =>
            mentionedKeys(p.text)
                .filter((k) => !known.has(k))
                .map((k) => `${p.file}: frappe:${k}`),
        );
        assert.deepEqual(wrong, []);
    });

    it("every npm run script mentioned exists in package.json", () => {
        const wrong = all.flatMap((p) =>
            [...p.text.matchAll(/npm run (?:-s )?([a-z][\w:-]*)/g)]
                .map((m) => m[1])
                .filter((s) => !scripts.includes(s))
                .map((s) => `${p.file}: npm run ${s}`),
        );
        assert.deepEqual(wrong, []);
    });

    it("every pulumi stack output mentioned is an output of index.ts", () => {
        assert.ok(outputs.includes("imageDigest"));
        assert.deepEqual(
            outputs.filter((o) => /password/i.test(o)),
            [],
            "no password is a stack output (docs/passwords.md)",
        );
        const wrong = all.flatMap((p) =>
            [...p.text.matchAll(/pulumi stack output ([A-Za-z]\w*)/g)]
                .map((m) => m[1])
                .filter((o) => !outputs.includes(o))
                .map((o) => `${p.file}: pulumi stack output ${o}`),
        );
        assert.deepEqual(wrong, []);
    });

    it("every relative link points at a file of the repository", () => {
        const wrong = all.flatMap((p) =>
            [...p.text.matchAll(/\]\(((?!https?:|#|mailto:)[^)#\s]+)(?:#[^)]*)?\)/g)]
                .map((m) => m[1])
                .filter((target) => !fs.existsSync(path.join(REPO_ROOT, path.dirname(p.file), target)))
                .map((target) => `${p.file}: ${target}`),
        );
        assert.deepEqual(wrong, []);
    });

    it("the README and the configuration reference read without scrolling sideways (no line over 120)", () => {
        for (const file of ["README.md", "docs/configuration.md"]) {
            const long = fs
                .readFileSync(path.join(REPO_ROOT, file), "utf8")
                .split("\n")
                .map((l, i) => ({ n: i + 1, len: l.length }))
                .filter((l) => l.len > 120);
            assert.deepEqual(long, [], file);
        }
    });
});
