import { strict as assert } from "node:assert";
import fc from "fast-check";
import { TAG_PATTERN } from "../conventions/image";
import type { AppEntry } from "../config/appsJson";
import { BUILD_ARG_NAMES, ImageBuildInput, planImageBuild, splitGitToken } from "./buildPlan";

const CONTEXT = "c".repeat(64);
const SHA = "0123456789abcdef0123456789abcdef01234567";

const baseInput: ImageBuildInput = {
    repository: "ghcr.io/acme/erpnext",
    build: {
        frappePath: "https://github.com/frappe/frappe",
        frappeBranch: "v15.49.1",
        imagePrefix: "frappe",
        platforms: ["linux/amd64"],
        extraTags: ["staging-latest"],
    },
    apps: [
        { url: "https://github.com/frappe/erpnext", branch: "v15.45.1" },
        { url: "https://github.com/acme/private_app", branch: "main", commit: SHA, private: true },
    ],
    contextDigest: CONTEXT,
};

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);
const releaseTag = fc
    .tuple(fc.nat(40), fc.nat(200), fc.nat(20))
    .map(([major, minor, patch]) => `v${major}.${minor}.${patch}`);
const appArb: fc.Arbitrary<AppEntry> = fc.record(
    {
        url: fc.tuple(segment, segment).map(([org, repo]) => `https://github.com/${org}/${repo}`),
        branch: fc.oneof(releaseTag, fc.constantFrom("main", "develop", "version-15")),
        commit: hex(40),
        private: fc.constant(true as const),
        name: fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/),
    },
    { requiredKeys: ["url", "branch"] },
);
const inputArb: fc.Arbitrary<ImageBuildInput> = fc
    .record({
        repository: fc.constantFrom("ghcr.io/acme/erpnext", "acme/erpnext", "registry.example.com:5000/erp"),
        build: fc.record(
            {
                frappePath: fc.constantFrom("https://github.com/frappe/frappe", "https://github.com/acme/frappe"),
                frappeBranch: releaseTag,
                pythonVersion: fc.constantFrom("3.11", "3.11.9", "3.12"),
                nodeVersion: fc.constantFrom("18", "20.19.2"),
                imagePrefix: fc.constantFrom("frappe", "ghcr.io/frappe"),
                platforms: fc.constantFrom<("linux/amd64" | "linux/arm64")[]>(
                    ["linux/amd64"],
                    ["linux/arm64"],
                    ["linux/amd64", "linux/arm64"],
                ),
                extraTags: fc.array(fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/), { maxLength: 3 }),
            },
            { requiredKeys: ["frappePath", "frappeBranch", "imagePrefix", "platforms", "extraTags"] },
        ),
        apps: fc.array(appArb, { maxLength: 5 }),
        contextDigest: hex(64),
    })
    .map((input) => ({ ...input, build: { ...input.build, buildImageTag: input.build.frappeBranch } }));

/** One change to what the image is made of; each must give a new tag. */
const mutationArb = fc.constantFrom(
    "frappePath",
    "frappeBranch",
    "buildImageTag",
    "baseImageTag",
    "pythonVersion",
    "nodeVersion",
    "imagePrefix",
    "platforms",
    "context",
    "addApp",
    "dropApp",
    "appBranch",
    "appCommit",
    "appPrivate",
    "appName",
    "swapApps",
);

function mutate(input: ImageBuildInput, what: string): ImageBuildInput | undefined {
    const b = input.build;
    const apps = [...input.apps];
    switch (what) {
        case "frappePath":
            return { ...input, build: { ...b, frappePath: `${b.frappePath}-fork` } };
        case "frappeBranch":
            return { ...input, build: { ...b, frappeBranch: `${b.frappeBranch}.1` } };
        case "buildImageTag":
            return { ...input, build: { ...b, buildImageTag: `${b.buildImageTag ?? b.frappeBranch}.7` } };
        case "baseImageTag":
            return { ...input, build: { ...b, baseImageTag: `${b.baseImageTag ?? b.frappeBranch}.7` } };
        case "pythonVersion":
            return { ...input, build: { ...b, pythonVersion: b.pythonVersion === "3.13" ? "3.14" : "3.13" } };
        case "nodeVersion":
            return { ...input, build: { ...b, nodeVersion: b.nodeVersion === "22" ? "24" : "22" } };
        case "imagePrefix":
            return { ...input, build: { ...b, imagePrefix: `${b.imagePrefix}x` } };
        case "platforms":
            return {
                ...input,
                build: { ...b, platforms: b.platforms.length === 2 ? ["linux/amd64"] : ["linux/amd64", "linux/arm64"] },
            };
        case "context":
            return { ...input, contextDigest: input.contextDigest === CONTEXT ? "d".repeat(64) : CONTEXT };
        case "addApp":
            return { ...input, apps: [...apps, { url: "https://example.org/x/added", branch: "v1.0.0" }] };
        case "dropApp":
            return apps.length === 0 ? undefined : { ...input, apps: apps.slice(1) };
        case "appBranch":
            return apps.length === 0
                ? undefined
                : { ...input, apps: [{ ...apps[0], branch: `${apps[0].branch}-x` }, ...apps.slice(1)] };
        case "appCommit":
            return apps.length === 0
                ? undefined
                : {
                      ...input,
                      apps: [{ ...apps[0], commit: apps[0].commit === SHA ? "f".repeat(40) : SHA }, ...apps.slice(1)],
                  };
        case "appPrivate":
            return apps.length === 0
                ? undefined
                : { ...input, apps: [{ ...apps[0], private: apps[0].private ? undefined : true }, ...apps.slice(1)] };
        case "appName":
            return apps.length === 0
                ? undefined
                : {
                      ...input,
                      apps: [
                          { ...apps[0], name: apps[0].name === "renamed" ? "other_name" : "renamed" },
                          ...apps.slice(1),
                      ],
                  };
        case "swapApps":
            return apps.length < 2 || JSON.stringify(apps[0]) === JSON.stringify(apps[1])
                ? undefined
                : { ...input, apps: [apps[1], apps[0], ...apps.slice(2)] };
        default:
            throw new Error(what);
    }
}

describe("planImageBuild", () => {
    it("plans the exact tags, build args and labels", () => {
        const plan = planImageBuild(baseInput);
        assert.match(plan.tag, /^v15\.49\.1-[0-9a-f]{16}$/);
        assert.deepEqual(plan.tags, [`ghcr.io/acme/erpnext:${plan.tag}`, "ghcr.io/acme/erpnext:staging-latest"]);
        assert.deepEqual(plan.buildArgs, {
            FRAPPE_IMAGE_PREFIX: "frappe",
            FRAPPE_PATH: "https://github.com/frappe/frappe",
            FRAPPE_BRANCH: "v15.49.1",
            BUILD_IMAGE_TAG: "v15.45.1",
            BASE_IMAGE_TAG: "v15.49.1",
            CACHE_BUST: plan.cacheBust,
        });
        // Never an empty value: docker-build treats "" as unknown in preview and skips the build.
        const full = { ...baseInput, build: { ...baseInput.build, pythonVersion: "3.11", nodeVersion: "20" } };
        assert.deepEqual(Object.keys(planImageBuild(full).buildArgs).sort(), [...BUILD_ARG_NAMES].sort());
        assert.match(plan.cacheBust, /^[0-9a-f]{64}$/);
        assert.deepEqual(plan.platforms, ["linux/amd64"]);
        assert.deepEqual(plan.labels, {
            "org.opencontainers.image.version": plan.tag,
            "org.opencontainers.image.base.name": "frappe/base:v15.49.1",
            "frappe.framework": "https://github.com/frappe/frappe#v15.49.1",
        });
    });

    it("renders the apps_json secret in bench's format with the token only on private entries", () => {
        const plan = planImageBuild(baseInput);
        assert.deepEqual(JSON.parse(plan.appsJsonSecret("ghp_abc/123")), [
            { url: "https://github.com/frappe/erpnext", branch: "v15.45.1" },
            {
                url: "https://x-access-token:ghp_abc%2F123@github.com/acme/private_app",
                branch: "main",
                commit: SHA,
            },
        ]);
        assert.equal(
            (JSON.parse(plan.appsJsonSecret("deploy-bot:s3cr:et")) as { url: string }[])[1].url,
            "https://deploy-bot:s3cr%3Aet@github.com/acme/private_app",
        );
        assert.throws(() => plan.appsJsonSecret(), /private_app is marked private.*gitToken/);
        const named = planImageBuild({ ...baseInput, apps: [{ ...baseInput.apps[0], name: "erpnext" }] });
        assert.deepEqual(JSON.parse(named.appsJsonSecret()), [
            { url: "https://github.com/frappe/erpnext", branch: "v15.45.1", name: "erpnext" },
        ]);
        assert.throws(() => plan.appsJsonSecret(""), /gitToken/);
    });

    it("does not need a token when nothing is private", () => {
        const plan = planImageBuild({ ...baseInput, apps: [baseInput.apps[0]] });
        assert.equal(
            plan.appsJsonSecret(),
            `[\n  {\n    "url": "https://github.com/frappe/erpnext",\n    "branch": "v15.45.1"\n  }\n]\n`,
        );
    });

    it("keeps apps.json content and tokens out of build args, labels and tags", () => {
        fc.assert(
            fc.property(inputArb, (input) => {
                const plan = planImageBuild(input);
                const visible = JSON.stringify([plan.buildArgs, plan.labels, plan.tags]);
                for (const app of input.apps) {
                    assert.ok(!visible.includes(app.url), app.url);
                    if (app.commit !== undefined) {
                        assert.ok(!visible.includes(app.commit), app.commit);
                    }
                }
                assert.ok(!visible.includes("t0k3n-value"));
                assert.ok(plan.appsJsonSecret("t0k3n-value").length > 0);
            }),
            { numRuns: 200 },
        );
    });

    it("ignores where the image goes (repository, extra tags) when deriving the tag", () => {
        const a = planImageBuild(baseInput);
        const b = planImageBuild({
            ...baseInput,
            repository: "docker.io/acme/erp",
            build: { ...baseInput.build, extraTags: ["x", "y"] },
        });
        assert.equal(a.tag, b.tag);
        assert.deepEqual(b.tags, [`docker.io/acme/erp:${b.tag}`, "docker.io/acme/erp:x", "docker.io/acme/erp:y"]);
    });
});

describe("planImageBuild (properties)", () => {
    it("treats the platform set as a set", () => {
        const a = planImageBuild({
            ...baseInput,
            build: { ...baseInput.build, platforms: ["linux/amd64", "linux/arm64"] },
        });
        const b = planImageBuild({
            ...baseInput,
            build: { ...baseInput.build, platforms: ["linux/arm64", "linux/amd64"] },
        });
        assert.equal(a.tag, b.tag);
    });

    it("property: same input, same plan; the tag is a valid Docker tag led by the frappe release", () => {
        fc.assert(
            fc.property(inputArb, (input) => {
                const a = planImageBuild(input);
                const b = planImageBuild(structuredClone(input));
                assert.equal(a.tag, b.tag);
                assert.deepEqual(a.tags, b.tags);
                assert.deepEqual(a.buildArgs, b.buildArgs);
                assert.equal(a.appsJsonSecret("t0ken"), b.appsJsonSecret("t0ken"));
                assert.match(a.tag, TAG_PATTERN);
                assert.ok(a.tag.startsWith(`${input.build.frappeBranch}-`));
                assert.equal(a.tags[0], `${input.repository}:${a.tag}`);
                assert.equal(new Set(a.tags).size, a.tags.length);
            }),
            { numRuns: 300 },
        );
    });

    it("property: every change to the apps, build args, platforms or context changes the tag", () => {
        fc.assert(
            fc.property(inputArb, mutationArb, (input, what) => {
                const changed = mutate(input, what);
                fc.pre(changed !== undefined);
                assert.notEqual(planImageBuild(changed).tag, planImageBuild(input).tag, what);
            }),
            { numRuns: 500 },
        );
    });

    it("property: CACHE_BUST follows the app list and nothing else", () => {
        fc.assert(
            fc.property(inputArb, fc.array(appArb, { maxLength: 5 }), (input, otherApps) => {
                const same = planImageBuild({
                    ...input,
                    build: { ...input.build, frappeBranch: `${input.build.frappeBranch}.9` },
                    contextDigest: "e".repeat(64),
                });
                assert.equal(same.cacheBust, planImageBuild(input).cacheBust);
                const other = planImageBuild({ ...input, apps: otherApps });
                assert.equal(
                    other.cacheBust === same.cacheBust,
                    JSON.stringify(otherApps) === JSON.stringify(input.apps),
                );
            }),
            { numRuns: 200 },
        );
    });

    it("keeps odd branch names inside Docker's tag grammar", () => {
        const plan = planImageBuild({
            ...baseInput,
            build: { ...baseInput.build, frappeBranch: `-/${"x".repeat(200)}` },
        });
        assert.match(plan.tag, TAG_PATTERN);
        assert.ok(plan.tag.length <= 128);
    });
});

describe("splitGitToken", () => {
    it("uses x-access-token for a bare token and splits user:token at the first colon", () => {
        assert.deepEqual(splitGitToken("ghp_x"), { username: "x-access-token", password: "ghp_x" });
        assert.deepEqual(splitGitToken("bot:a:b"), { username: "bot", password: "a:b" });
        assert.deepEqual(splitGitToken(":lead"), { username: "x-access-token", password: ":lead" });
    });
});
