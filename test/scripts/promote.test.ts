import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import {
    applyPromotion,
    formatLikeRepository,
    main,
    parseStackOutputs,
    PromoteIo,
    PromotionError,
    stackOfFile,
} from "../../scripts/promote";

const TAG = "v15.49.1-0123456789abcdef";
const DIGEST = `sha256:${"a1".repeat(32)}`;
const OLD_DIGEST = `sha256:${"b2".repeat(32)}`;

const PRODUCTION = `# Production runs only images staging built and tested (npm run promote).
encryptionsalt: v1:abc:def
config:
  # The repository staging pushes to.
  frappe:image: ghcr.io/acme/erpnext
  frappe:tag: v15.49.1-fedcba9876543210 # promoted 2026-01-10
  frappe:digest: ${OLD_DIGEST}
  frappe:sites:
    - name: erp.example.com
      apps: [erpnext]
  frappe:dbPassword:
    secure: v1:AAAA
`;

describe("parseStackOutputs", () => {
    it("accepts staging's outputs", () => {
        assert.deepEqual(parseStackOutputs({ imageTag: TAG, imageDigest: DIGEST, other: 1 }, "x"), {
            tag: TAG,
            digest: DIGEST,
        });
        assert.deepEqual(
            parseStackOutputs(
                { imageTag: TAG, imageDigest: DIGEST, imageRef: `ghcr.io/acme/erpnext:${TAG}@${DIGEST}` },
                "x",
            ),
            { tag: TAG, digest: DIGEST, repository: "ghcr.io/acme/erpnext" },
        );
    });

    it("refuses missing or malformed values, moving tags and an inconsistent ref", () => {
        const bad: [unknown, RegExp][] = [
            [[], /JSON object/],
            [{ imageDigest: DIGEST }, /imageTag is undefined/],
            [{ imageTag: "bad tag", imageDigest: DIGEST }, /imageTag/],
            [{ imageTag: "staging-latest", imageDigest: DIGEST }, /moves/],
            [{ imageTag: TAG }, /imageDigest is undefined/],
            [{ imageTag: TAG, imageDigest: "sha256:short" }, /imageDigest/],
            [{ imageTag: TAG, imageDigest: DIGEST, imageRef: `r:${TAG}@${OLD_DIGEST}` }, /is not <repository>/],
            [{ imageTag: TAG, imageDigest: DIGEST, imageRef: `Bad Repo:${TAG}@${DIGEST}` }, /is not <repository>/],
            [{ imageTag: TAG, imageDigest: DIGEST, imageRef: 42 }, /imageRef 42/],
        ];
        for (const [outputs, message] of bad) {
            assert.throws(
                () => parseStackOutputs(outputs, "staging.json"),
                (err: unknown) => {
                    assert.ok(err instanceof PromotionError);
                    assert.match(err.message, /^staging\.json: /);
                    assert.match(err.message, message);
                    return true;
                },
            );
        }
    });
});

describe("applyPromotion", () => {
    it("changes only frappe:tag and frappe:digest, keeping comments, order and other keys", async () => {
        const result = applyPromotion(PRODUCTION, { tag: TAG, digest: DIGEST });
        assert.equal(result.changed, true);
        assert.deepEqual(result.previous, {
            image: "ghcr.io/acme/erpnext",
            tag: "v15.49.1-fedcba9876543210",
            digest: OLD_DIGEST,
        });
        const expected = PRODUCTION.replace("v15.49.1-fedcba9876543210", TAG).replace(OLD_DIGEST, DIGEST);
        // The yaml library spaces flow sequences differently; everything else is kept verbatim.
        assert.equal(result.text, expected.replace("[erpnext]", "[ erpnext ]"));
        const file = path.resolve(__dirname, "..", "..", "Pulumi.production.yaml");
        assert.equal(await formatLikeRepository(PRODUCTION, file), PRODUCTION, "fixture is not prettier-clean");
        assert.equal(await formatLikeRepository(result.text, file), expected);
    });

    it("is idempotent", () => {
        const once = applyPromotion(PRODUCTION, { tag: TAG, digest: DIGEST });
        const twice = applyPromotion(once.text, { tag: TAG, digest: DIGEST });
        assert.equal(twice.changed, false);
        assert.equal(twice.text, once.text);
    });

    it("adds the keys to a file without them, and creates a file that does not exist", () => {
        const imageOnly = "config:\n  frappe:image: ghcr.io/acme/erpnext\n  frappe:sites: []\n";
        assert.equal(
            applyPromotion(imageOnly, { tag: TAG, digest: DIGEST }).text,
            `config:\n  frappe:image: ghcr.io/acme/erpnext\n  frappe:tag: ${TAG}\n  frappe:digest: ${DIGEST}\n  frappe:sites: []\n`,
        );
        const created = applyPromotion(undefined, { tag: TAG, digest: DIGEST });
        assert.deepEqual(parse(created.text), { config: { "frappe:tag": TAG, "frappe:digest": DIGEST } });
        assert.deepEqual(created.previous, { image: undefined, tag: undefined, digest: undefined });
        const commentOnly = applyPromotion("# production\n", { tag: TAG, digest: DIGEST });
        assert.match(commentOnly.text, /^# production\n/);
        assert.deepEqual(parse(commentOnly.text), { config: { "frappe:tag": TAG, "frappe:digest": DIGEST } });
        assert.deepEqual(parse(applyPromotion("config:\n", { tag: TAG, digest: DIGEST }).text), {
            config: { "frappe:tag": TAG, "frappe:digest": DIGEST },
        });
    });

    it("writes tags that look like numbers as strings", () => {
        for (const tag of ["15.10", "1e3", "true", "0x10"]) {
            const text = applyPromotion("config:\n  frappe:tag: old\n", { tag, digest: DIGEST }).text;
            assert.equal((parse(text) as { config: Record<string, unknown> }).config["frappe:tag"], tag, text);
        }
    });

    it("refuses a production file that builds", () => {
        assert.throws(
            () =>
                applyPromotion("config:\n  frappe:build:\n    frappeBranch: v15.49.1\n", { tag: TAG, digest: DIGEST }),
            /never builds/,
        );
    });

    it("moves production to staging's repository when the promotion names it", () => {
        const publicImage = "config:\n  frappe:image: frappe/erpnext # upstream image\n  frappe:tag: v15.88.1\n";
        const result = applyPromotion(publicImage, { tag: TAG, digest: DIGEST, repository: "ghcr.io/acme/erpnext" });
        assert.equal(
            result.text,
            `config:\n  frappe:image: ghcr.io/acme/erpnext # upstream image\n  frappe:tag: ${TAG}\n  frappe:digest: ${DIGEST}\n`,
        );
        assert.deepEqual(result.previous, { image: "frappe/erpnext", tag: "v15.88.1", digest: undefined });
        const again = applyPromotion(result.text, { tag: TAG, digest: DIGEST, repository: "ghcr.io/acme/erpnext" });
        assert.equal(again.changed, false);
        assert.equal(
            applyPromotion(result.text, { tag: TAG, digest: DIGEST, repository: "ghcr.io/acme/other" }).changed,
            true,
        );
    });

    it("refuses files it cannot safely edit", () => {
        assert.throws(
            () => applyPromotion("config: [1, 2]\n", { tag: TAG, digest: DIGEST }),
            /config: must be a mapping/,
        );
        assert.throws(() => applyPromotion("- a\n", { tag: TAG, digest: DIGEST }), /expected a mapping/);
        assert.throws(() => applyPromotion("config:\n  a: [\n", { tag: TAG, digest: DIGEST }), /not valid YAML/);
    });

    it("property: everything but the two keys survives, and the two keys read back exactly", () => {
        const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean());
        const key = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,10}$/).map((k) => `frappe:${k}`);
        fc.assert(
            fc.property(
                fc.dictionary(key, scalar, { maxKeys: 6 }),
                fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}$/),
                fc.stringMatching(/^[a-f0-9]{64}$/),
                (others, tag, hex) => {
                    const config = Object.fromEntries(Object.entries(others).filter(([k]) => k !== "frappe:build"));
                    const text = applyPromotion(
                        `# top\nconfig:\n${Object.entries(config)
                            .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
                            .join("\n")}\n`,
                        { tag, digest: `sha256:${hex}` },
                    ).text;
                    const read = parse(text) as { config: Record<string, unknown> };
                    assert.deepEqual(read.config, { ...config, "frappe:tag": tag, "frappe:digest": `sha256:${hex}` });
                    assert.ok(text.startsWith("# top\n"));
                },
            ),
            { numRuns: 200 },
        );
    });
});

describe("stackOfFile", () => {
    it("reads the stack name from the file name", () => {
        assert.equal(stackOfFile("/x/Pulumi.production.yaml"), "production");
        assert.equal(stackOfFile("Pulumi.eu-prod.yml"), "eu-prod");
        assert.throws(() => stackOfFile("production.yaml"), /Pulumi\.<stack>\.yaml/);
    });
});

describe("npm run promote (main)", () => {
    let root: string;
    let lines: string[];
    let errors: string[];
    let asked: string[];
    const io = (outputs: unknown): PromoteIo => ({
        stackOutputs(stack, cwd) {
            asked.push(`${stack}@${cwd}`);
            return outputs;
        },
        log: (l) => lines.push(l),
        error: (l) => errors.push(l),
    });

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "promote-"));
        lines = [];
        errors = [];
        asked = [];
        fs.writeFileSync(path.join(root, "Pulumi.production.yaml"), PRODUCTION);
    });
    afterEach(() => {
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("promotes from a saved outputs file and prints the preview command and the way back", async () => {
        fs.writeFileSync(path.join(root, "staging.json"), JSON.stringify({ imageTag: TAG, imageDigest: DIGEST }));
        assert.equal(await main(["--from", "staging.json"], io({}), root), 0);
        assert.deepEqual(asked, []);
        const file = path.join(root, "Pulumi.production.yaml");
        assert.equal(
            fs.readFileSync(file, "utf8"),
            await formatLikeRepository(applyPromotion(PRODUCTION, { tag: TAG, digest: DIGEST }).text, file),
        );
        assert.ok(lines.includes("  pulumi preview --stack production"));
        assert.ok(
            lines.includes(
                `  pulumi config set --stack production tag v15.49.1-fedcba9876543210 && pulumi config set --stack production digest ${OLD_DIGEST} && pulumi up --stack production`,
            ),
        );
        assert.ok(lines.includes("Note: staging.json has no imageRef output, so frappe:image was left as it is."));
        assert.deepEqual(errors, []);
    });

    it("reads staging's outputs through pulumi when no file is given, and switches the repository", async () => {
        const file = path.join(root, "Pulumi.production.yaml");
        fs.writeFileSync(file, "config:\n  frappe:image: frappe/erpnext\n  frappe:tag: v15.88.1\n");
        const outputs = { imageTag: TAG, imageDigest: DIGEST, imageRef: `ghcr.io/acme/erpnext:${TAG}@${DIGEST}` };
        assert.equal(await main([], io(outputs), root), 0);
        assert.deepEqual(asked, [`staging@${root}`]);
        assert.deepEqual(parse(fs.readFileSync(file, "utf8")), {
            config: { "frappe:image": "ghcr.io/acme/erpnext", "frappe:tag": TAG, "frappe:digest": DIGEST },
        });
        assert.ok(
            lines.includes(
                "  pulumi config set --stack production image frappe/erpnext && pulumi config set --stack production tag v15.88.1 && pulumi config rm --stack production digest && pulumi up --stack production",
            ),
            lines.join("\n"),
        );
    });

    it("reports an unchanged file and does not rewrite it", async () => {
        const promoted = applyPromotion(PRODUCTION, { tag: TAG, digest: DIGEST }).text;
        fs.writeFileSync(path.join(root, "Pulumi.production.yaml"), promoted);
        assert.equal(await main([], io({ imageTag: TAG, imageDigest: DIGEST }), root), 0);
        assert.match(lines[0], /already has frappe:tag=.* nothing to promote/);
        assert.equal(fs.readFileSync(path.join(root, "Pulumi.production.yaml"), "utf8"), promoted);
    });

    it("leaves the file alone on --dry-run", async () => {
        assert.equal(await main(["--dry-run"], io({ imageTag: TAG, imageDigest: DIGEST }), root), 0);
        assert.equal(fs.readFileSync(path.join(root, "Pulumi.production.yaml"), "utf8"), PRODUCTION);
        assert.match(lines[0], /^Would set frappe:tag=/);
    });

    it("fails with a message, writing nothing, on bad outputs, bad flags or a bad target", async () => {
        assert.equal(await main([], io({ imageTag: TAG }), root), 1);
        assert.equal(await main(["--bogus"], io({}), root), 1);
        assert.equal(await main(["--file", "prod.yaml"], io({ imageTag: TAG, imageDigest: DIGEST }), root), 1);
        assert.equal(await main(["--stack", "production"], io({ imageTag: TAG, imageDigest: DIGEST }), root), 1);
        assert.equal(await main(["--from", "missing.json"], io({}), root), 1);
        assert.equal(errors.length, 5);
        assert.ok(errors.every((e) => e.startsWith("promote: ")));
        assert.equal(fs.readFileSync(path.join(root, "Pulumi.production.yaml"), "utf8"), PRODUCTION);
    });

    it("runs as `npm run promote` would (tsx scripts/promote.ts)", () => {
        fs.writeFileSync(path.join(root, "staging.json"), JSON.stringify({ imageTag: TAG, imageDigest: DIGEST }));
        const repo = path.resolve(__dirname, "..", "..");
        const run = spawnSync(
            process.execPath,
            [
                path.join(repo, "node_modules", "tsx", "dist", "cli.mjs"),
                path.join(repo, "scripts", "promote.ts"),
                "--from",
                path.join(root, "staging.json"),
                "--file",
                path.join(root, "Pulumi.production.yaml"),
            ],
            { encoding: "utf8" },
        );
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /pulumi preview --stack production/);
        assert.match(fs.readFileSync(path.join(root, "Pulumi.production.yaml"), "utf8"), new RegExp(TAG));
    });
});
