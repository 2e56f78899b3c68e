import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { formatIssues, setSecretHint } from "../components/config/issues";
import { ConfigSource, parseStackConfig } from "../components/config/load";
import { REPO_ROOT } from "./harness";
import { secretCommandFindings } from "./secretCommands";

/**
 * Every message the program can print keeps secrets off command lines: a suggested
 * `pulumi config set --secret <key>` takes no value (Pulumi asks without echo, or reads stdin). Checked two
 * ways: statically, every string the source of components/, policy/ and scripts/ can put together (string
 * literals, templates and `+` chains, a `setSecretHint(...)` call rendered as it prints), and the shell and
 * Python programs' text; and by running the config layer into each error that tells how to set a secret.
 */

/** What a substituted expression stands for in a rendered message: a word, as a key would be. */
const PLACEHOLDER = "KEY";

function isStringy(node: ts.Node): boolean {
    return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node);
}

/** A substituted expression as it prints: setSecretHint's real text, otherwise a placeholder. */
function substitute(expr: ts.Expression): string {
    if (ts.isCallExpression(expr) && expr.expression.getText() === setSecretHint.name) {
        const arg = expr.arguments[0];
        return setSecretHint(arg !== undefined && ts.isStringLiteralLike(arg) ? arg.text : PLACEHOLDER);
    }
    return PLACEHOLDER;
}

/** The text a string expression puts together, or undefined when `node` builds no string. */
function render(node: ts.Node): string | undefined {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
        return node.text;
    }
    if (ts.isTemplateExpression(node)) {
        return node.head.text + node.templateSpans.map((s) => substitute(s.expression) + s.literal.text).join("");
    }
    if (ts.isParenthesizedExpression(node)) {
        return render(node.expression);
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
        const left = render(node.left);
        const right = render(node.right);
        if (left === undefined && right === undefined) {
            return undefined;
        }
        return (left ?? substitute(node.left)) + (right ?? substitute(node.right));
    }
    return undefined;
}

/** Every string a TypeScript source can build, each `+` chain whole and each of its parts. */
export function sourceStrings(fileName: string, text: string): string[] {
    const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
    const out: string[] = [];
    const visit = (node: ts.Node) => {
        if (isStringy(node) || ts.isBinaryExpression(node) || ts.isParenthesizedExpression(node)) {
            const s = render(node);
            if (s !== undefined) {
                out.push(s);
            }
        }
        ts.forEachChild(node, visit);
    };
    visit(file);
    return out;
}

function filesUnder(dir: string, keep: (f: string) => boolean): string[] {
    const abs = path.join(REPO_ROOT, dir);
    return fs
        .readdirSync(abs, { withFileTypes: true })
        .flatMap((e) =>
            e.isDirectory() ? filesUnder(path.join(dir, e.name), keep) : keep(e.name) ? [path.join(dir, e.name)] : [],
        );
}

/** What the program's source can print: every string of its TypeScript, and its scripts as text. */
function programTexts(): { file: string; text: string }[] {
    const tsFiles = ["components", "policy", "scripts"].flatMap((d) =>
        filesUnder(d, (f) => f.endsWith(".ts") && !f.endsWith(".test.ts")),
    );
    const scripts = filesUnder("components/bench/scripts", (f) => /\.(sh|py)$/.test(f));
    return [
        ...[...tsFiles, "index.ts"].map((file) => ({
            file,
            text: sourceStrings(file, fs.readFileSync(path.join(REPO_ROOT, file), "utf8")).join("\n"),
        })),
        ...scripts.map((file) => ({ file, text: fs.readFileSync(path.join(REPO_ROOT, file), "utf8") })),
    ];
}

function source(config: Record<string, unknown>, opts: { secrets?: string[]; plain?: string[] } = {}): ConfigSource {
    const entries: Record<string, string> = {};
    for (const [k, v] of Object.entries({ tag: "v15.88.1", ...config })) {
        entries[`frappe:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    for (const k of [...(opts.secrets ?? []), ...(opts.plain ?? [])]) {
        entries[`frappe:${k}`] = "s3cr3t-value";
    }
    const secret = new Set((opts.secrets ?? []).map((k) => `frappe:${k}`));
    return { stack: "staging", entries, isSecret: (k) => secret.has(k), projectRoot: REPO_ROOT };
}

const BUILD = { image: "ghcr.io/acme/erp", build: { frappeBranch: "v15.88.1" } };
const PRIVATE_APP = { url: "https://github.com/acme/private-app", branch: "v1.0.0", private: true };
const OFFSITE = { backup: { offsite: { repository: "s3:https://s3.example.com/bucket/erp" } } };

/** Configs whose refusal tells the operator how to set a secret. */
const SECRET_ADVICE: [string, ConfigSource][] = [
    ["a secret key stored in plain text", source({}, { plain: ["dbPassword"] })],
    ["offsite backups without their secrets", source(OFFSITE)],
    [
        "an offsite repository URL with credentials",
        source(
            { backup: { offsite: { repository: "s3:https://AKIA:pw@s3.example.com/bucket/erp" } } },
            { secrets: ["resticPassword", "s3AccessKeyId", "s3SecretAccessKey"] },
        ),
    ],
    ["a registry without its password", source({ ...BUILD, registry: { server: "ghcr.io", username: "deploy-bot" } })],
    ["a private app without a token", source({ ...BUILD, build: { ...BUILD.build, apps: [PRIVATE_APP] } })],
    [
        "an app URL with a token in it",
        source({
            ...BUILD,
            build: { ...BUILD.build, apps: [{ url: "https://bot:tok@github.com/acme/app", branch: "v1.0.0" }] },
        }),
    ],
];

describe("messages the program prints keep secrets off command lines", () => {
    it("no string of the program's source suggests a secret on a command line", () => {
        const texts = programTexts();
        assert.ok(texts.length > 50, `only ${texts.length} files scanned`);
        assert.ok(
            texts.some((t) => t.text.includes("pulumi config set --secret")),
            "the scan sees the secret hints",
        );
        assert.deepEqual(secretCommandFindings(texts), []);
    });

    it("the scan catches a value after the key, in a literal, a template or a + chain", () => {
        const bad = [
            'const a = "set it with `pulumi config set --secret gitToken <token>`";',
            "const b = `a secret: run pulumi config set --secret ${key} <value> (it is stored in plain text now)`;",
            'const c = "(pulumi config set --secret s3AccessKeyId / s3SecretAccessKey) and remove user:password@";',
            'const d = "set with " + "`pulumi config set --secret " + name + " hunter2`";',
        ];
        for (const line of bad) {
            const text = sourceStrings("bad.ts", line).join("\n");
            assert.equal(secretCommandFindings([{ file: "bad.ts", text }]).length > 0, true, line);
        }
        const good = 'const e = `set it with ${setSecretHint(key)}`; const f = `run ${setSecretHint("gitToken")}`;';
        const text = sourceStrings("good.ts", good).join("\n");
        assert.match(text, /pulumi config set --secret gitToken` \(it asks for the value without echoing it/);
        assert.deepEqual(secretCommandFindings([{ file: "good.ts", text }]), []);
    });

    for (const [what, src] of SECRET_ADVICE) {
        it(`the refusal of ${what} says how to set the secret without its value`, () => {
            const r = parseStackConfig(src);
            assert.equal(r.config, undefined, `expected ${what} to be refused`);
            const text = formatIssues(r.issues);
            assert.match(text, /`pulumi config set --secret \w+` \(it asks for the value without echoing it/);
            assert.deepEqual(secretCommandFindings([{ file: what, text }]), []);
            assert.doesNotMatch(text, /s3cr3t-value/);
        });
    }
});
