import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "./harness";

/**
 * Every reference to the documentation that the program, its scripts, its stack files and the docs
 * themselves give resolves: the file exists and the heading or anchor is in it. A reference is one of
 *   docs/<page>.md            docs/<page>.md#<anchor>        [text](<page>.md#<anchor>)   (#<anchor>)
 *   docs/<page>.md, "<Heading>"                               README: <Heading>
 * Anchors are GitHub's: the heading lowercased, everything but letters, digits, spaces, `-` and `_`
 * dropped, spaces turned into `-`, and `-1`, `-2` ... appended to repeats (github/cmark-gfm's anchor
 * rule, as the github-slugger package implements it).
 */
export function githubSlug(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

/** The headings of a Markdown file (outside code blocks) and their anchors. */
export function headingsOf(markdown: string): { text: string; anchor: string }[] {
    const seen = new Map<string, number>();
    const out: { text: string; anchor: string }[] = [];
    let fenced = false;
    for (const line of markdown.split("\n")) {
        if (/^\s*```/.test(line)) fenced = !fenced;
        const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
        if (!m) continue;
        const base = githubSlug(m[1]);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        out.push({ text: m[1].replace(/`/g, ""), anchor: n === 0 ? base : `${base}-${n}` });
    }
    return out;
}

/** Files whose text reaches the operator: the program's sources and scripts, the stack files, the docs. */
function sources(): string[] {
    const walk = (dir: string): string[] =>
        fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
            const rel = path.join(dir, e.name);
            if (e.isDirectory()) return e.name === "node_modules" ? [] : walk(rel);
            return /\.(ts|sh|py|mjs|md|yaml)$|^run$/.test(e.name) && !e.name.endsWith(".test.ts") ? [rel] : [];
        });
    const top = fs.readdirSync(REPO_ROOT).filter((f) => /^(index\.ts|README\.md|Pulumi\..*\.yaml)$/.test(f));
    return [...top, ...["components", "scripts", "policy", "docs", ".ci"].flatMap(walk)];
}

export interface DocRef {
    readonly from: string;
    readonly file: string;
    readonly anchor?: string;
    readonly heading?: string;
}

/** Every documentation reference in a file's text. */
export function docRefs(from: string, text: string): DocRef[] {
    const refs: DocRef[] = [];
    const dir = path.dirname(from);
    for (const m of text.matchAll(/(?<![\w/.-])(docs\/[\w-]+\.md)(?:#([\w-]+)|, "([^"]+)")?/g)) {
        refs.push({ from, file: m[1], anchor: m[2], heading: m[3] });
    }
    for (const m of text.matchAll(/README(?:\.md)?: ([A-Z][^(),.;:"\n]*[a-z])/g)) {
        refs.push({ from, file: "README.md", heading: m[1] });
    }
    if (from.endsWith(".md")) {
        for (const m of text.matchAll(/\]\(((?!https?:|mailto:)[^)#\s]*)(?:#([^)\s]+))?\)/g)) {
            if (m[2] === undefined) continue; // plain file links: test/docs.test.ts
            refs.push({ from, file: m[1] === "" ? from : path.normalize(path.join(dir, m[1])), anchor: m[2] });
        }
    }
    return refs;
}

/** Why a reference does not resolve, or undefined when it does. */
export function unresolved(ref: DocRef): string | undefined {
    const target = path.join(REPO_ROOT, ref.file);
    if (!fs.existsSync(target)) return `${ref.file} does not exist`;
    if (ref.anchor === undefined && ref.heading === undefined) return undefined;
    if (!ref.file.endsWith(".md")) return undefined;
    const headings = headingsOf(fs.readFileSync(target, "utf8"));
    if (ref.anchor !== undefined && !headings.some((h) => h.anchor === ref.anchor)) {
        return `${ref.file} has no heading with the anchor #${ref.anchor}`;
    }
    if (ref.heading !== undefined && !headings.some((h) => h.text.toLowerCase() === ref.heading!.toLowerCase())) {
        return `${ref.file} has no heading "${ref.heading}"`;
    }
    return undefined;
}

describe("documentation references resolve", () => {
    it("computes GitHub's anchors (headings with code, punctuation, repeats)", () => {
        assert.deepEqual(
            headingsOf(
                "# Where the data lives\n### `frappe:volumes`\n## When a step fails\n## A, b.c (d)\n## A, b.c (d)\n```sh\n# not a heading\n```\n",
            ).map((h) => h.anchor),
            ["where-the-data-lives", "frappevolumes", "when-a-step-fails", "a-bc-d", "a-bc-d-1"],
        );
    });

    it("finds each kind of reference, and tells a broken one from a good one", () => {
        const refs = docRefs(
            "components/x.ts",
            'see docs/upgrade.md#when-a-step-fails, docs/configuration.md, "Pulling a private image", README: Recovering from a failed upgrade; docs/nope.md',
        );
        assert.deepEqual(
            refs.map((r) => [r.file, r.anchor ?? r.heading ?? ""]),
            [
                ["docs/upgrade.md", "when-a-step-fails"],
                ["docs/configuration.md", "Pulling a private image"],
                ["docs/nope.md", ""],
                ["README.md", "Recovering from a failed upgrade"],
            ],
        );
        assert.deepEqual(
            refs.map((r) => unresolved(r)),
            [
                undefined,
                undefined,
                "docs/nope.md does not exist",
                'README.md has no heading "Recovering from a failed upgrade"',
            ],
        );
        assert.equal(
            unresolved({ from: "x", file: "docs/upgrade.md", anchor: "recovering" }),
            "docs/upgrade.md has no heading with the anchor #recovering",
        );
        const md = docRefs("docs/a.md", "[x](upgrade.md#when-a-step-fails) [y](#here) [z](../README.md)");
        assert.deepEqual(
            md.map((r) => [r.file, r.anchor]),
            [
                ["docs/upgrade.md", "when-a-step-fails"],
                ["docs/a.md", "here"],
            ],
        );
    });

    it("every reference printed by the program, a script or a stack file, and every anchor link of the docs", () => {
        const files = sources();
        assert.ok(files.includes(path.join("components", "bench", "scripts", "run-job.sh")));
        const refs = files.flatMap((f) => docRefs(f, fs.readFileSync(path.join(REPO_ROOT, f), "utf8")));
        assert.ok(refs.length > 20, `${refs.length} references`);
        const broken = refs
            .map((r) => ({ r, why: unresolved(r) }))
            .filter((x) => x.why !== undefined)
            .map((x) => `${x.r.from}: ${x.why}`);
        assert.deepEqual(broken, []);
    });
});
